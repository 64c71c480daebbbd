import type { UseQueryResult } from '@tanstack/react-query';
import type { getDashboardTile, RouteResponse, TILE_SOURCES } from '@waymark/api-contract';
import type { ReactNode } from 'react';
import { formatCount, formatMoney, formatPercent } from './format.ts';
import { Loading, ProblemView, TableScroll } from './ui.tsx';

/**
 * A dashboard tile: the main figures of a saved view, as the tile route answered them (TILE_SOURCES in
 * @waymark/api-contract says which route each screen's tile reads). Shared by /dashboards and /shared.
 */
export type TileAnswer = RouteResponse<typeof getDashboardTile>;
type Answer<P extends keyof typeof TILE_SOURCES> = RouteResponse<(typeof TILE_SOURCES)[P]>;

/** The stage a tile's conversion is read at: the purchase, what a dashboard reader asks first. */
const PURCHASE = 4;

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
        <TableScroll label={`${name} table`}>
          <TileTable answer={tile.data} />
        </TableScroll>
      )}
    </article>
  );
}

function TileTable({ answer }: { answer: TileAnswer }) {
  switch (answer.path) {
    case '/': {
      const funnel = answer.data as Answer<'/'>;
      return (
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
      );
    }
    case '/trend': {
      const trend = answer.data as Answer<'/trend'>;
      return (
        <table className="figures">
          <caption>Customers who entered per {trend.interval}, and how many of them purchased</caption>
          <thead>
            <tr>
              <th scope="col">Entered in</th>
              <th scope="col">Entered</th>
              <th scope="col">Purchased</th>
              <th scope="col">Conversion</th>
            </tr>
          </thead>
          <tbody>
            {trend.periods.map((period) => {
              const purchase = period.stages[PURCHASE];
              return (
                <tr key={period.start}>
                  <th scope="row">{period.start.slice(0, 10)}</th>
                  <td>{formatCount(period.entered)}</td>
                  <td>{formatCount(purchase?.customers ?? 0)}</td>
                  <td>{formatPercent(purchase?.conversionFromStart ?? 0)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      );
    }
    case '/kpis': {
      const kpis = answer.data as Answer<'/kpis'>;
      return (
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
      );
    }
  }
}
