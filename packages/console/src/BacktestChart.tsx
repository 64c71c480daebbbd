import type { backtestAlertRule, RouteResponse } from '@waymark/api-contract';
import { LineChart, ScatterChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkAreaComponent, TooltipComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { useChart } from './chart.ts';

use([LineChart, ScatterChart, GridComponent, LegendComponent, MarkAreaComponent, TooltipComponent]);

type Backtest = RouteResponse<typeof backtestAlertRule>;

/**
 * A backtest over time: the judged figure and its reference per evaluation, breaches marked, and each
 * incident the rule would have opened shaded from firing to resolved; the table beside it has the figures.
 */
export function BacktestChart({
  backtest,
  labels,
  percent,
}: {
  backtest: Backtest;
  labels: { value: string; reference: string };
  percent: boolean;
}) {
  const element = useChart(() => {
    const format = (v: number) =>
      percent ? `${(v * 100).toFixed(1)}%` : String(Math.round(v * 1000) / 1000);
    const points = (pick: (e: Backtest['timeline'][number]) => number | null) =>
      backtest.timeline.map((e) => [e.at, pick(e)]);
    return {
      tooltip: { trigger: 'axis', valueFormatter: (v: number | null) => (v === null ? '—' : format(v)) },
      legend: { top: 0 },
      grid: { left: 56, right: 16, top: 40, bottom: 32 },
      xAxis: { type: 'time', min: backtest.from, max: backtest.to },
      yAxis: { type: 'value', min: 0, axisLabel: { formatter: format } },
      series: [
        {
          type: 'line',
          name: labels.value,
          data: points((e) => e.value),
          symbolSize: 4,
          connectNulls: false,
          markArea: {
            silent: true,
            itemStyle: { color: 'rgba(200, 30, 50, 0.15)' },
            data: backtest.incidents.map((i) => [
              { name: `#${i.incident} ${i.severity}`, xAxis: i.firedAt },
              { xAxis: i.resolvedAt ?? backtest.to },
            ]),
          },
        },
        {
          type: 'line',
          name: labels.reference,
          data: points((e) => e.reference),
          symbol: 'none',
          lineStyle: { type: 'dashed' },
        },
        {
          type: 'scatter',
          name: 'breach',
          data: points((e) => (e.status === 'breach' ? e.value : null)),
          symbol: 'diamond',
          symbolSize: 9,
          itemStyle: { color: '#c81e32' },
        },
      ],
    };
  }, [backtest, labels, percent]);
  return (
    <div
      ref={element}
      className="chart backtest-chart"
      role="img"
      aria-label={`${labels.value} and ${labels.reference} per evaluation, breaches and would-be incidents marked; the table has the same figures`}
    />
  );
}
