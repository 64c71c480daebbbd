import { LineChart } from 'echarts/charts';
import { GridComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { useChart } from './chart.ts';

use([LineChart, GridComponent]);

/**
 * A KPI's values over the periods, oldest first, as a line without axes: the shape is what it shows, the
 * table has the figures. A null (a rate without a base) is a gap, not a zero.
 */
export function Sparkline({ values, label }: { values: ReadonlyArray<number | null>; label: string }) {
  const element = useChart(
    ({ dark }) => ({
      grid: { left: 4, right: 4, top: 4, bottom: 4 },
      xAxis: { type: 'category', show: false, boundaryGap: false, data: values.map((_, i) => i) },
      yAxis: { type: 'value', show: false, scale: true },
      series: [
        {
          type: 'line',
          data: values.map((v) => v ?? '-'),
          // A lone period has no line to draw: its point shows instead.
          showSymbol: values.length === 1,
          symbolSize: 4,
          lineStyle: { width: 2 },
          color: dark ? '#6cb6ff' : '#0b5cad',
        },
      ],
    }),
    [values],
  );
  return <div ref={element} className="sparkline" role="img" aria-label={`${label} per period`} />;
}
