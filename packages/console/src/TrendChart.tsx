import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { useChart } from './chart.ts';

use([LineChart, GridComponent, LegendComponent, TooltipComponent]);

export interface TrendLine {
  readonly name: string;
  /** One fraction per period, in the order of `periods`. */
  readonly values: readonly number[];
}

/** Each stage's conversion from start per period of entry; the table beside it has the same figures. */
export function TrendChart({ periods, lines }: { periods: readonly string[]; lines: readonly TrendLine[] }) {
  const element = useChart(
    () => ({
      tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${(v * 100).toFixed(1)}%` },
      legend: { top: 0, type: 'scroll' },
      grid: { left: 48, right: 16, top: 40, bottom: 32 },
      xAxis: { type: 'category', data: periods },
      yAxis: { type: 'value', min: 0, max: 1, axisLabel: { formatter: (v: number) => `${v * 100}%` } },
      series: lines.map((line) => ({ type: 'line', name: line.name, data: line.values, symbolSize: 5 })),
    }),
    [periods, lines],
  );
  return (
    <div
      ref={element}
      className="chart"
      role="img"
      aria-label="Conversion from start per period of entry; the table has the same figures"
    />
  );
}
