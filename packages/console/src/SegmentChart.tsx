import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { useChart } from './chart.ts';

// Only the parts drawn here; this module loads only when a breakdown is asked for.
use([BarChart, GridComponent, LegendComponent, TooltipComponent]);

export interface SegmentBars {
  readonly name: string;
  /** Customers at stages 1 … 7. */
  readonly customers: readonly number[];
}

/** Customers per stage, one bar per segment in each stage's group; the table beside it has the figures. */
export function SegmentChart({
  stages,
  segments,
}: {
  stages: readonly string[];
  segments: readonly SegmentBars[];
}) {
  const element = useChart(
    () => ({
      tooltip: { trigger: 'axis' },
      legend: { type: 'scroll', top: 0 },
      grid: { top: 40, left: 8, right: 8, bottom: 8, containLabel: true },
      xAxis: { type: 'category', data: stages, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: segments.map((s) => ({ type: 'bar', name: s.name, data: s.customers })),
    }),
    [stages, segments],
  );
  return (
    <div
      ref={element}
      className="chart"
      role="img"
      aria-label="Breakdown chart: customers per stage and segment; the table has the same figures"
    />
  );
}
