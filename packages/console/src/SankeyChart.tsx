import { SankeyChart as SankeySeries } from 'echarts/charts';
import { TooltipComponent } from 'echarts/components';
import { use } from 'echarts/core';
import { useChart } from './chart.ts';

use([SankeySeries, TooltipComponent]);

export interface FlowLink {
  readonly source: string;
  readonly target: string;
  readonly kind: 'entry' | 'progression' | 'regression' | 'exit';
  readonly value: number;
}

/** The node a regression into `stage` is drawn to. */
export const backNode = (stage: string) => `back to ${stage}`;

/**
 * The stage flow as an ECharts Sankey. ECharts lays a Sankey out as a DAG and refuses a cycle, and every
 * regression (stage → earlier stage) closes one with the progressions. So a regression is drawn into a
 * node of its own, "back to <stage>", a sink beside the stage it left: the chart still shows how much flows
 * backwards from each stage, and the table beside it lists every link as the API answered it.
 */
export function SankeyChart({ links }: { links: readonly FlowLink[] }) {
  const element = useChart(
    ({ dark, width }) => {
      const alert = dark ? '#ff9492' : '#a4001d';
      const drawn = links.map((link) => ({
        source: link.source,
        target: link.kind === 'regression' ? backNode(link.target) : link.target,
        value: link.value,
        ...(link.kind === 'regression' && { lineStyle: { color: alert, opacity: 0.35 } }),
      }));
      const names = [...new Set(drawn.flatMap((link) => [link.source, link.target]))];
      // On a phone the nine columns do not fit side by side: the stages go top to bottom instead.
      const narrow = width < 600;
      return {
        tooltip: { trigger: 'item', formatter: '{b}: {c} transitions' },
        series: [
          {
            type: 'sankey',
            orient: narrow ? 'vertical' : 'horizontal',
            // Left-aligned, a "back to" node sits in the column after the stage its regressions leave.
            nodeAlign: 'left',
            ...(narrow ? { top: 8, bottom: 24, left: 8, right: 8 } : { left: 8, right: 120 }),
            nodeGap: 10,
            emphasis: { focus: 'adjacency' },
            lineStyle: { color: 'gradient', opacity: 0.4 },
            label: {
              color: dark ? '#e6edf3' : '#1b1f24',
              ...(narrow && { position: 'bottom', fontSize: 10 }),
            },
            data: names.map((name) => ({
              name,
              ...(name.startsWith('back to ') && {
                itemStyle: { color: alert },
                // Beside the stages' labels there is no room for the words on a phone (the tooltip has them).
                ...(narrow && { label: { formatter: '↩' } }),
              }),
            })),
            links: drawn,
          },
        ],
      };
    },
    [links],
  );
  return (
    <div
      ref={element}
      className="chart sankey"
      role="img"
      aria-label="Stage flow chart (regressions drawn into “back to” nodes); the table has every link"
    />
  );
}
