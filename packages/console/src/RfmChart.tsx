import { HeatmapChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { useChart } from './chart.ts';

use([HeatmapChart, GridComponent, TooltipComponent, VisualMapComponent]);

/** A cell of the recency × frequency grid: its named segment (docs/customers.md) and its purchasers. */
export interface RfmCell {
  readonly recency: number;
  readonly frequency: number;
  readonly segment: string;
  readonly customers: number;
}

export const SCORES = [1, 2, 3, 4, 5];

/** The 5×5 recency × frequency grid, each cell labelled with its segment and coloured by its purchasers. */
export function RfmChart({ cells: grid }: { cells: readonly RfmCell[] }) {
  const element = useChart(
    ({ dark }) => {
      const cells = grid.map((c) => ({
        value: [c.recency - 1, c.frequency - 1, c.customers],
        name: c.segment,
      }));
      return {
        tooltip: {
          formatter: (p: { name: string; value: number[] }) => `${p.name}: ${p.value[2]} customers`,
        },
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
          max: Math.max(1, ...grid.map((c) => c.customers)),
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
      };
    },
    [grid],
  );
  return (
    <div
      ref={element}
      className="chart rfm-chart"
      role="img"
      aria-label="RFM recency by frequency grid; the table has the same figures"
    />
  );
}
