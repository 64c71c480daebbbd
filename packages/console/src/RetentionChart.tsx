import { HeatmapChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { useChart } from './chart.ts';
import { formatPercent } from './format.ts';

use([HeatmapChart, GridComponent, TooltipComponent, VisualMapComponent]);

export interface RetentionRow {
  /** The cohort's period, its segment and size: the row's label. */
  readonly label: string;
  /** The share of the cohort active k periods after its own, k = 0 …; null before that period began. */
  readonly rates: ReadonlyArray<number | null>;
}

const ROW_HEIGHT = 28;

/** Cohorts (rows, oldest on top) by periods after their first (columns); a period not begun has no cell. */
export function RetentionChart({ rows, interval }: { rows: readonly RetentionRow[]; interval: string }) {
  const columns = rows[0]?.rates.length ?? 0;
  const element = useChart(
    ({ dark }) => ({
      tooltip: {
        formatter: (p: { value: number[] }) =>
          `${rows[p.value[1] ?? 0]?.label}, ${interval} ${p.value[0]}: ${formatPercent(p.value[2] ?? 0)}`,
      },
      grid: { left: 8, right: 12, top: 8, bottom: 72, containLabel: true },
      xAxis: {
        type: 'category',
        data: Array.from({ length: columns }, (_, k) => String(k)),
        name: `${interval}s after the first`,
        nameLocation: 'middle',
        nameGap: 28,
      },
      yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.label) },
      visualMap: {
        min: 0,
        max: 1,
        calculable: false,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        itemHeight: 120,
        text: ['100%', '0%'],
        inRange: { color: ['#e8f1fb', '#0b5cad'] },
      },
      series: [
        {
          type: 'heatmap',
          data: rows.flatMap((row, y) =>
            row.rates.flatMap((rate, x) => (rate === null ? [] : [[x, y, rate]])),
          ),
          label: {
            show: true,
            formatter: (p: { value: number[] }) => formatPercent(p.value[2] ?? 0),
            color: '#111',
            textBorderColor: '#fff',
            textBorderWidth: 3,
            fontSize: 11,
          },
          itemStyle: { borderColor: dark ? '#0d1117' : '#fff', borderWidth: 1 },
        },
      ],
    }),
    [rows, interval],
  );
  return (
    <div
      ref={element}
      className="chart retention-chart"
      style={{ height: `${rows.length * ROW_HEIGHT + 110}px` }}
      role="img"
      aria-label="Retention by cohort and period; the table has the same figures"
    />
  );
}
