import type { UseQueryResult } from '@tanstack/react-query';
import type { getDashboardTile, RouteResponse, TILE_SOURCES } from '@waymark/api-contract';
import type { ReactNode } from 'react';
import { BarChart } from './BarChart.tsx';
import { FunnelChart } from './FunnelChart.tsx';
import { formatCount, formatMoney, formatPercent } from './format.ts';
import { RetentionChart } from './RetentionChart.tsx';
import { Sparkline } from './Sparkline.tsx';
import { TrendChart } from './TrendChart.tsx';
import { Loading, ProblemView, TableScroll } from './ui.tsx';

/**
 * A dashboard tile: the main figures of a saved view, as the tile route answered them (TILE_SOURCES in
 * @waymark/api-contract says which route each screen's tile reads). Shared by /dashboards and /shared.
 */
export type TileAnswer = RouteResponse<typeof getDashboardTile>;
type Answer<P extends keyof typeof TILE_SOURCES> = RouteResponse<(typeof TILE_SOURCES)[P]>;

/**
 * The stage a trend tile's conversion is read at: the purchase, what a dashboard reader asks first, else the last
 * stage of a view saved with a stage range that ends before it (`toStage`). By name: such a range may also start
 * later (`fromStage`), so a stage's place in the answer is not its place in the journey.
 */
function followedStage(stages: ReadonlyArray<{ stage: string }>): string {
  return (stages.find((s) => s.stage === 'purchase') ?? stages[stages.length - 1])?.stage ?? 'purchase';
}

export function Tile({
  name,
  width,
  tile,
  open,
}: {
  name: string;
  width: number;
  tile: UseQueryResult<TileAnswer>;
  /** The signed-in console's link to the full view; none on a shared page. */
  open?: ReactNode;
}) {
  return (
    <article className={width === 2 ? 'tile wide' : 'tile'} aria-label={name}>
      <header>
        <h3>{name}</h3>
        {open}
      </header>
      {tile.isPending ? (
        <Loading what={name} />
      ) : tile.error ? (
        <ProblemView error={tile.error} />
      ) : (
        <TileFigures answer={tile.data} name={name} />
      )}
    </article>
  );
}

/** A small chart of the screen's kind above the table, drawn from the same figures. */
function Figures({
  name,
  chart,
  kind,
  children,
}: {
  name: string;
  chart: ReactNode;
  /** The chart's kind, for its height in a tile. */
  kind: string;
  children: ReactNode;
}) {
  return (
    <>
      <div className={`tile-chart ${kind}`}>{chart}</div>
      <TableScroll label={`${name} table`}>{children}</TableScroll>
    </>
  );
}

/** A period's first day, as the tables show it. */
const day = (start: string) => start.slice(0, 10);

function TileFigures({ answer, name }: { answer: TileAnswer; name: string }) {
  switch (answer.path) {
    case '/': {
      const funnel = answer.data as Answer<'/'>;
      return (
        <Figures
          name={name}
          kind="funnel"
          chart={
            <FunnelChart
              stages={funnel.stages.map((s) => ({ name: s.stage, customers: s.customers }))}
              label={`${name}: customers per stage`}
            />
          }
        >
          <table className="figures">
            <caption>Customers per stage, of {formatCount(funnel.entered)} who entered</caption>
            <thead>
              <tr>
                <th scope="col">Stage</th>
                <th scope="col">Customers</th>
                <th scope="col">From start</th>
              </tr>
            </thead>
            <tbody>
              {funnel.stages.map((stage) => (
                <tr key={stage.stage}>
                  <th scope="row">
                    {stage.index}. {stage.stage}
                  </th>
                  <td>{formatCount(stage.customers)}</td>
                  <td>{formatPercent(stage.conversionFromStart)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Figures>
      );
    }
    case '/trend': {
      const trend = answer.data as Answer<'/trend'>;
      const followed = followedStage(trend.periods[0]?.stages ?? []);
      const reached = (period: (typeof trend.periods)[number]) =>
        period.stages.find((s) => s.stage === followed);
      const [done, column] =
        followed === 'purchase' ? ['purchased', 'Purchased'] : [`reached ${followed}`, `Reached ${followed}`];
      return (
        <Figures
          name={name}
          kind="trend"
          chart={
            <TrendChart
              periods={trend.periods.map((p) => day(p.start))}
              lines={[
                {
                  name: followed,
                  values: trend.periods.map((p) => reached(p)?.conversionFromStart ?? 0),
                },
              ]}
            />
          }
        >
          <table className="figures">
            <caption>
              Customers who entered per {trend.interval}, and how many of them {done}
            </caption>
            <thead>
              <tr>
                <th scope="col">Entered in</th>
                <th scope="col">Entered</th>
                <th scope="col">{column}</th>
                <th scope="col">Conversion</th>
              </tr>
            </thead>
            <tbody>
              {trend.periods.map((period) => {
                const stage = reached(period);
                return (
                  <tr key={period.start}>
                    <th scope="row">{period.start.slice(0, 10)}</th>
                    <td>{formatCount(period.entered)}</td>
                    <td>{formatCount(stage?.customers ?? 0)}</td>
                    <td>{formatPercent(stage?.conversionFromStart ?? 0)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </Figures>
      );
    }
    case '/kpis': {
      const kpis = answer.data as Answer<'/kpis'>;
      return (
        <Figures
          name={name}
          kind="sparkline"
          chart={
            <Sparkline
              values={kpis.periods.map((p) => p.kpis.revenue)}
              label={`${name}: revenue per ${kpis.interval}`}
            />
          }
        >
          <table className="figures">
            <caption>Orders, revenue and conversion per {kpis.interval}</caption>
            <thead>
              <tr>
                <th scope="col">Period</th>
                <th scope="col">Orders</th>
                <th scope="col">Revenue</th>
                <th scope="col">Conversion</th>
              </tr>
            </thead>
            <tbody>
              {kpis.periods.map((period) => (
                <tr key={period.start}>
                  <th scope="row">{period.start.slice(0, 10)}</th>
                  <td>{formatCount(period.kpis.orders)}</td>
                  <td>{formatMoney(period.kpis.revenue)}</td>
                  <td>
                    {period.kpis.conversionRate === null ? '—' : formatPercent(period.kpis.conversionRate)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Figures>
      );
    }
    case '/retention': {
      const retention = answer.data as Answer<'/retention'>;
      const label = (c: (typeof retention.cohorts)[number]) =>
        [day(c.start), c.segment].filter((part) => part !== undefined).join(' · ');
      const offsets = Array.from({ length: retention.periods + 1 }, (_, k) => k);
      return (
        <Figures
          name={name}
          kind="retention"
          chart={
            <RetentionChart
              rows={retention.cohorts.map((c) => ({ label: label(c), rates: c.rates }))}
              interval={retention.interval}
            />
          }
        >
          <table className="figures">
            <caption>
              Customers by the {retention.interval} of their first touchpoint, and the share of them active
              each {retention.interval} after; blank where that {retention.interval} has not begun
            </caption>
            <thead>
              <tr>
                <th scope="col">Cohort</th>
                <th scope="col">Customers</th>
                {offsets.map((k) => (
                  <th scope="col" key={k}>
                    {retention.interval} {k}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {retention.cohorts.map((cohort) => (
                <tr key={`${cohort.start}/${cohort.segment ?? ''}`}>
                  <th scope="row">{label(cohort)}</th>
                  <td>{formatCount(cohort.customers)}</td>
                  {offsets.map((k) => (
                    <td key={k}>{rate(cohort.retained[k] ?? null, cohort.rates[k] ?? null)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </Figures>
      );
    }
    case '/bottlenecks': {
      const bottlenecks = answer.data as Answer<'/bottlenecks'>;
      return (
        <Figures
          name={name}
          kind="bars"
          chart={
            <BarChart
              bars={bottlenecks.byDropOff.map((b) => ({ name: b.stage, value: b.dropOff * 100 }))}
              unit="%"
              label={`${name}: drop-off by step`}
            />
          }
        >
          <table className="figures">
            <caption>Customers who reached each stage, and the share lost on the way; largest first</caption>
            <thead>
              <tr>
                <th scope="col">Step into</th>
                <th scope="col">Reached</th>
                <th scope="col">Drop-off</th>
              </tr>
            </thead>
            <tbody>
              {bottlenecks.byDropOff.map((step) => (
                <tr key={step.stage}>
                  <th scope="row">
                    {step.index}. {step.stage}
                  </th>
                  <td>{formatCount(step.customers)}</td>
                  <td>{formatPercent(step.dropOff)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Figures>
      );
    }
    case '/customers': {
      const segments = answer.data as Answer<'/customers'>;
      const value = (v: string) => (v === '' ? '(unknown)' : v);
      return (
        <Figures
          name={name}
          kind="bars"
          chart={
            <BarChart
              bars={segments.segments.map((s) => ({ name: value(s.value), value: s.customers }))}
              unit=""
              label={`${name}: customers per segment`}
            />
          }
        >
          <table className="figures">
            <caption>Customers per segment, and the share of them who purchased; largest first</caption>
            <thead>
              <tr>
                <th scope="col">Segment</th>
                <th scope="col">Customers</th>
                <th scope="col">Bought</th>
              </tr>
            </thead>
            <tbody>
              {segments.segments.map((s) => (
                <tr key={s.value}>
                  <th scope="row">{value(s.value)}</th>
                  <td>{formatCount(s.customers)}</td>
                  <td>{formatPercent(s.conversionRate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Figures>
      );
    }
  }
}

/** A retention rate, as the Retention screen shows it: blank where that period has not begun. */
const rate = (retained: number | null, value: number | null) =>
  retained === null ? '' : value === null ? '—' : formatPercent(value);
