import { AriaComponent } from 'echarts/components';
import { type EChartsCoreOption, init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { type DependencyList, useEffect, useRef } from 'react';

// What every chart uses; each chart module registers its own series and components besides.
use([AriaComponent, SVGRenderer]);

/** What a chart's option may depend on besides its data: the colour scheme and the width it is drawn in. */
export interface ChartContext {
  readonly dark: boolean;
  readonly width: number;
}

/**
 * An ECharts chart in the returned element's div, drawn again when `deps` change and resized with the
 * window. SVG in the page's colour scheme, with ARIA, and no animation: the figures are what matters, and a
 * screenshot never catches a half-drawn chart.
 */
export function useChart(option: (context: ChartContext) => EChartsCoreOption, deps: DependencyList) {
  const element = useRef<HTMLDivElement>(null);
  // `option` is a new function each render: the caller's `deps` say when the chart must be drawn again.
  useEffect(() => {
    if (!element.current) return;
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    const chart = init(element.current, dark ? 'dark' : undefined, { renderer: 'svg' });
    chart.setOption({
      backgroundColor: 'transparent',
      animation: false,
      aria: { enabled: true },
      ...option({ dark, width: element.current.clientWidth }),
    });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, deps);
  return element;
}
