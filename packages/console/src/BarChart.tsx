import { BarChart as BarSeries } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { useChart } from './chart.ts';

use([BarSeries, GridComponent, TooltipComponent]);

export interface Bar {
  readonly name: string;
  readonly value: number;
}

/** Horizontal bars, first bar on top, values with `unit` (a ranking's measure); the table has the figures. */
export function BarChart({ bars, unit, label }: { bars: readonly Bar[]; unit: string; label: string }) {
  const element = useChart(
    ({ dark }) => {
      const rounded = (value: number) => Math.round(value * 10) / 10;
      return {
        tooltip: { trigger: 'item', formatter: `{b}: {c} ${unit}` },
        grid: { left: 8, right: 48, top: 8, bottom: 24, containLabel: true },
        // In a narrow place (a dashboard tile) labels that would overlap are left out.
        xAxis: { type: 'value', axisLabel: { formatter: `{value} ${unit}`, hideOverlap: true } },
        yAxis: { type: 'category', inverse: true, data: bars.map((b) => b.name) },
        series: [
          {
            type: 'bar',
            // A fall (a negative change) in the alert colour.
            data: bars.map((b) => ({
              value: rounded(b.value),
              itemStyle: {
                color: b.value < 0 ? (dark ? '#ff9492' : '#a4001d') : dark ? '#6cb6ff' : '#0b5cad',
              },
            })),
            label: { show: true, position: 'right', formatter: `{c} ${unit}` },
          },
        ],
      };
    },
    [bars, unit],
  );
  return (
    <div
      ref={element}
      className="chart bars"
      role="img"
      aria-label={`${label}; the table has the same figures`}
    />
  );
}
