import { HeatmapChart } from 'echarts/charts';
import { AriaComponent, GridComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { init, use } from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';

use([HeatmapChart, GridComponent, TooltipComponent, VisualMapComponent, AriaComponent, SVGRenderer]);

/** A named RFM segment: the recency × frequency scores it covers (docs/customers.md) and its size. */
export interface RfmCell {
  readonly segment: string;
  readonly recency: readonly [number, number];
  readonly frequency: readonly [number, number];
  readonly customers: number;
}

const SCORES = [1, 2, 3, 4, 5];

/**
 * The 5×5 recency × frequency grid, each cell coloured by the size of the segment it belongs to. The API
 * counts customers by segment, not by cell, so every cell of a segment shows that segment's count.
 */
export function RfmChart({ segments }: { segments: readonly RfmCell[] }) {
  const element = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!element.current) return;
    const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
    const chart = init(element.current, dark ? 'dark' : undefined, { renderer: 'svg' });
    const cells = SCORES.flatMap((r) =>
      SCORES.map((f) => {
        const s = segments.find(
          (c) => r >= c.recency[0] && r <= c.recency[1] && f >= c.frequency[0] && f <= c.frequency[1],
        );
        return { value: [r - 1, f - 1, s?.customers ?? 0], name: s?.segment ?? '' };
      }),
    );
    chart.setOption({
      backgroundColor: 'transparent',
      animation: false,
      aria: { enabled: true },
      tooltip: { formatter: (p: { name: string; value: number[] }) => `${p.name}: ${p.value[2]} customers` },
      grid: { left: 48, right: 12, top: 12, bottom: 84 },
      xAxis: {
        type: 'category',
        data: SCORES.map((s) => `R${s}`),
        name: 'Recency',
        nameLocation: 'middle',
        nameGap: 28,
      },
      yAxis: {
        type: 'category',
        data: SCORES.map((s) => `F${s}`),
        name: 'Frequency',
        nameLocation: 'middle',
        nameGap: 32,
      },
      visualMap: {
        min: 0,
        max: Math.max(1, ...segments.map((s) => s.customers)),
        calculable: false,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 120,
        inRange: { color: ['#e8f1fb', '#0b5cad'] },
      },
      series: [
        {
          type: 'heatmap',
          data: cells,
          label: {
            show: true,
            // One word a line, so the longest names (need attention) fit a cell on a phone.
            formatter: (p: { name: string; value: number[] }) =>
              `${p.name.split('_').join('\n')}\n${p.value[2]}`,
            color: '#111',
            textBorderColor: '#fff',
            textBorderWidth: 3,
            fontSize: 10,
            lineHeight: 12,
          },
          itemStyle: { borderColor: dark ? '#0d1117' : '#fff', borderWidth: 1 },
        },
      ],
    });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [segments]);
  return (
    <div
      ref={element}
      className="chart rfm-chart"
      role="img"
      aria-label="RFM recency by frequency grid; the table has the same figures"
    />
  );
}
