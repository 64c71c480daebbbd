import { BarChart, CustomChart } from 'echarts/charts';
import { GridComponent, MarkLineComponent, TooltipComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { useChart } from './chart.ts';

use([BarChart, CustomChart, GridComponent, MarkLineComponent, TooltipComponent]);

export interface VariantBar {
  readonly name: string;
  readonly rate: number;
  /** The 95% range of the variant's rate against the control's; null for the control. */
  readonly range: readonly [number, number] | null;
}

const percent = (v: number) => `${(v * 100).toFixed(1)}%`;

/**
 * Conversion per variant as bars, the control first, and on each other variant the 95% interval of its
 * difference from the control, drawn from the control's rate (a dashed line): a whisker that crosses the
 * line is a difference the data do not tell apart from none. The table below has the same figures.
 */
export function ExperimentChart({ variants }: { variants: readonly VariantBar[] }) {
  const element = useChart(
    ({ dark }) => {
      const ink = dark ? '#e6edf3' : '#1b1f24';
      const top = Math.max(...variants.map((v) => Math.max(v.rate, v.range?.[1] ?? 0)));
      return {
        tooltip: { trigger: 'item' },
        grid: { left: 8, right: 16, top: 16, bottom: 8, containLabel: true },
        xAxis: { type: 'category', data: variants.map((v) => v.name) },
        yAxis: {
          type: 'value',
          min: 0,
          max: Math.min(1, Math.ceil(top * 10 + 0.5) / 10),
          axisLabel: { formatter: percent },
        },
        series: [
          {
            type: 'bar',
            name: 'Conversion',
            barMaxWidth: 64,
            data: variants.map((v) => v.rate),
            label: {
              show: true,
              position: 'insideBottom',
              formatter: ({ value }: { value: number }) => percent(value),
            },
            tooltip: { valueFormatter: percent },
            markLine: {
              silent: true,
              symbol: 'none',
              lineStyle: { type: 'dashed', color: ink },
              label: { formatter: 'control', position: 'insideEndTop' },
              data: [{ yAxis: variants[0]?.rate ?? 0 }],
            },
          },
          {
            type: 'custom',
            name: '95% interval',
            z: 3, // over the bars, whose top the interval straddles
            data: variants.flatMap((v, i) => (v.range ? [[i, v.range[0], v.range[1]]] : [])),
            tooltip: {
              formatter: ({ value }: { value: [number, number, number] }) =>
                `${variants[value[0]]?.name}: ${percent(Math.max(0, value[1]))} – ${percent(value[2])}`,
            },
            renderItem: (
              _: unknown,
              api: {
                value: (dimension: number) => number;
                coord: (point: [number, number]) => [number, number];
                size: (size: [number, number]) => [number, number];
              },
            ) => {
              const x = api.value(0);
              const [cx, low] = api.coord([x, Math.max(0, api.value(1))]);
              const [, high] = api.coord([x, api.value(2)]);
              const cap = api.size([1, 0])[0] * 0.12;
              const style = { stroke: ink, lineWidth: 2 };
              return {
                type: 'group',
                children: [
                  { type: 'line', shape: { x1: cx, y1: low, x2: cx, y2: high }, style },
                  { type: 'line', shape: { x1: cx - cap, y1: low, x2: cx + cap, y2: low }, style },
                  { type: 'line', shape: { x1: cx - cap, y1: high, x2: cx + cap, y2: high }, style },
                ],
              };
            },
          },
        ],
      };
    },
    [variants],
  );
  return (
    <div
      ref={element}
      className="chart experiment-chart"
      role="img"
      aria-label="Conversion per variant with the 95% interval against the control; the table has the same figures"
    />
  );
}
