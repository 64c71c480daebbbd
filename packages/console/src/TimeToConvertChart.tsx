import { BarChart } from 'echarts/charts';
import { GridComponent, TooltipComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { useChart } from './chart.ts';
import { bucketLabel, type ConvertBucket } from './time-to-convert.ts';

use([BarChart, GridComponent, TooltipComponent]);

/**
 * A step's time-to-convert histogram: a column per bucket, quickest on the left, its customers written on
 * it; the table beside it has the same figures.
 */
export function TimeToConvertChart({ buckets, label }: { buckets: readonly ConvertBucket[]; label: string }) {
  const element = useChart(
    ({ dark, width }) => ({
      tooltip: { trigger: 'item', formatter: '{b}: {c} customers' },
      grid: { left: 8, right: 8, top: 48, bottom: 8, containLabel: true },
      xAxis: {
        type: 'category',
        data: buckets.map(bucketLabel),
        // Every bucket is named; slanted when the columns are too narrow for "15m–1h" side by side.
        axisLabel: { interval: 0, rotate: width / buckets.length < 72 ? 40 : 0 },
      },
      // The axis name starts at the axis (centred on it, the chart's edge cuts it), above the tallest count.
      yAxis: {
        type: 'value',
        minInterval: 1,
        name: 'customers',
        nameGap: 26,
        nameTextStyle: { align: 'left' },
      },
      series: [
        {
          type: 'bar',
          barCategoryGap: '15%',
          data: buckets.map((b) => b.customers),
          itemStyle: { color: dark ? '#6cb6ff' : '#0b5cad' },
          label: { show: true, position: 'top' },
        },
      ],
    }),
    [buckets],
  );
  return (
    <div
      ref={element}
      className="time-to-convert-chart"
      role="img"
      aria-label={`${label}; the table has the same figures`}
    />
  );
}
