import { FunnelChart as FunnelSeries } from 'echarts/charts';
import { AriaComponent, TooltipComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

// Only the parts drawn here, so the rest of ECharts stays out of the bundle.
use([FunnelSeries, TooltipComponent, AriaComponent, SVGRenderer]);

export interface FunnelBar {
  readonly name: string;
  readonly customers: number;
}

/** The seven stages as an ECharts funnel; the table beside it carries the same figures for reading. */
export function FunnelChart({ stages }: { stages: readonly FunnelBar[] }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return;
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    const chart = init(element.current, dark ? 'dark' : undefined, { renderer: 'svg' });
    chart.setOption({
      backgroundColor: 'transparent',
      // Drawn at once: the figures are what matters, and a screenshot never catches a half-drawn funnel.
      animation: false,
      aria: { enabled: true },
      tooltip: { trigger: 'item', formatter: '{b}: {c} customers' },
      series: [
        {
          type: 'funnel',
          sort: 'none',
          min: 0,
          max: Math.max(1, ...stages.map((s) => s.customers)),
          minSize: '4%',
          gap: 2,
          // Dark text on a light halo reads on every segment colour, in both colour schemes.
          label: {
            show: true,
            position: 'inside',
            formatter: '{b}: {c}',
            color: '#111',
            textBorderColor: '#fff',
            textBorderWidth: 3,
          },
          data: stages.map((s) => ({ name: s.name, value: s.customers })),
        },
      ],
    });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [stages]);
  return (
    <div
      ref={element}
      className="chart"
      role="img"
      aria-label="Stage funnel chart; the table has the same figures"
    />
  );
}
