import { FunnelChart as FunnelSeries } from 'echarts/charts';
import { TooltipComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { useChart } from './chart.ts';

// Only the parts drawn here, so the rest of ECharts stays out of the bundle.
use([FunnelSeries, TooltipComponent]);

export interface FunnelBar {
  readonly name: string;
  readonly customers: number;
}

/** The seven stages as an ECharts funnel; the table beside it carries the same figures for reading. */
export function FunnelChart({
  stages,
  label = 'Stage funnel chart',
}: {
  stages: readonly FunnelBar[];
  label?: string;
}) {
  const element = useChart(
    () => ({
      tooltip: { trigger: 'item', formatter: '{b}: {c} customers' },
      series: [
        {
          type: 'funnel',
          sort: 'none',
          min: 0,
          max: Math.max(1, ...stages.map((s) => s.customers)),
          minSize: '4%',
          gap: 2,
          // Dark text on a light halo reads on every segment colour, in both colour schemes.
          label: {
            show: true,
            position: 'inside',
            formatter: '{b}: {c}',
            color: '#111',
            textBorderColor: '#fff',
            textBorderWidth: 3,
          },
          data: stages.map((s) => ({ name: s.name, value: s.customers })),
        },
      ],
    }),
    [stages],
  );
  return (
    <div ref={element} className="chart" role="img" aria-label={`${label}; the table has the same figures`} />
  );
}
