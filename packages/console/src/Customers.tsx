import type { getSegments, listCustomers, RouteRequest, RouteResponse } from '@waymark/api-contract';
import { useRoute } from './api.ts';
import { formatCount, formatInstant, formatMoney, formatPercent } from './format.ts';
import { customerHref } from './links.ts';
import { Pager, pick } from './paging.tsx';
import { type RfmCell, RfmChart, SCORES } from './RfmChart.tsx';
import { hrefOf, Link, navigate, useLocation } from './router.tsx';
import { Loading, ProblemView, TableScroll } from './ui.tsx';

type Segments = RouteResponse<typeof getSegments>;
type Filters = Required<RouteRequest<typeof listCustomers>['query']>;

// The filters' values, as @waymark/journey defines them (the console imports none of its code, only
// types); `satisfies` fails the typecheck if one is renamed there.
const TYPES = [
  'complaining',
  'advocate',
  'lost',
  'loyal',
  'casual',
  'new',
  'potential',
] as const satisfies readonly Filters['type'][];
const TIERS = ['A', 'B', 'C'] as const satisfies readonly Filters['tier'][];
/** RFM segments and the recency and frequency scores each covers (docs/customers.md). */
const RFM_SEGMENTS = [
  { name: 'champions', recency: [5, 5], frequency: [4, 5] },
  { name: 'loyal', recency: [3, 4], frequency: [4, 5] },
  { name: 'potential_loyalist', recency: [4, 5], frequency: [2, 3] },
  { name: 'new', recency: [5, 5], frequency: [1, 1] },
  { name: 'promising', recency: [4, 4], frequency: [1, 1] },
  { name: 'need_attention', recency: [3, 3], frequency: [3, 3] },
  { name: 'about_to_sleep', recency: [3, 3], frequency: [1, 2] },
  { name: 'cant_lose', recency: [1, 2], frequency: [5, 5] },
  { name: 'at_risk', recency: [1, 2], frequency: [3, 4] },
  { name: 'hibernating', recency: [1, 2], frequency: [1, 2] },
] as const satisfies ReadonlyArray<{
  name: Filters['rfmSegment'];
  recency: readonly [number, number];
  frequency: readonly [number, number];
}>;
/** Dimensions to pick from; `trait:<name>` may be typed too. */
const DIMENSIONS = [
  'at_risk',
  'gender',
  'age',
  'income',
  'education',
  'occupation',
  'marital_status',
  'country',
  'region',
  'city',
  'interest',
  'channel',
  'current_stage',
  'furthest_stage',
  'device',
  'os',
  'browser',
  'orders',
];
const FILTERS = ['type', 'atRisk', 'tier', 'rfmSegment'] as const;

/** Customers and segments: segment sizes by type, tier, RFM and a picked dimension; the customer list. */
export function Customers() {
  const { path, search } = useLocation();
  const dimension = search.get('dimension') ?? 'furthest_stage';
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(search);
    if (value === '') next.delete(name);
    else next.set(name, value);
    // A new filter starts the list again from its first page.
    if (name !== 'dimension') next.delete('after');
    navigate(hrefOf(path, next), { replace: name === 'dimension' });
  };
  return (
    <main className="customers">
      <h1>Customers &amp; segments</h1>
      <div className="segment-views">
        <SegmentTable dimension="type" title="By type" />
        <SegmentTable dimension="tier" title="By value tier" />
      </div>
      <RfmView />
      <h2>By a dimension</h2>
      <form className="controls" aria-label="Segment dimension" onSubmit={(event) => event.preventDefault()}>
        <label>
          Dimension
          <input
            name="dimension"
            list="dimensions"
            value={dimension}
            size={16}
            onChange={(event) => set('dimension', event.target.value)}
          />
          <datalist id="dimensions">
            {DIMENSIONS.map((d) => (
              <option key={d} value={d} />
            ))}
          </datalist>
        </label>
      </form>
      <SegmentTable dimension={dimension} title={`By ${dimension}`} />
      <h2>Customers</h2>
      <CustomerFilters search={search} onChange={set} />
      <CustomerList search={search} />
    </main>
  );
}

function useSegments(dimension: string) {
  return useRoute<typeof getSegments>('/v1/projects/:projectId/segments', new URLSearchParams({ dimension }));
}

function SegmentTable({ dimension, title }: { dimension: string; title: string }) {
  const answer = useSegments(dimension);
  return (
    <section className="segments" aria-label={title} data-dimension={dimension}>
      {answer.isPending ? (
        <Loading what={`segments by ${dimension}`} />
      ) : answer.isError ? (
        <ProblemView error={answer.error} />
      ) : answer.data.segments.length === 0 ? (
        <p className="empty">No customers yet.</p>
      ) : (
        <SegmentFigures segments={answer.data} title={title} />
      )}
    </section>
  );
}

function SegmentFigures({ segments, title }: { segments: Segments; title: string }) {
  return (
    <TableScroll label={`${title} table`}>
      <table className="figures">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">Segment</th>
            <th scope="col">Customers</th>
            <th scope="col">Purchasers</th>
            <th scope="col">Conversion</th>
            <th scope="col">Orders</th>
            <th scope="col">Revenue</th>
            <th scope="col">Average order</th>
            <th scope="col">At risk</th>
          </tr>
        </thead>
        <tbody>
          {segments.segments.map((s) => (
            <tr key={s.value} data-segment={s.value}>
              <th scope="row">{s.value === '' ? '(unknown)' : s.value}</th>
              <td data-csv={s.customers}>{formatCount(s.customers)}</td>
              <td data-csv={s.purchasers}>{formatCount(s.purchasers)}</td>
              <td data-csv={s.conversionRate}>{formatPercent(s.conversionRate)}</td>
              <td data-csv={s.orders}>{formatCount(s.orders)}</td>
              <td data-csv={s.revenue}>{formatMoney(s.revenue)}</td>
              <td data-csv={s.averageOrderValue ?? undefined}>
                {s.averageOrderValue === null ? '—' : formatMoney(s.averageOrderValue)}
              </td>
              <td data-csv={s.atRisk}>{formatCount(s.atRisk)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

/** RFM segments on the recency × frequency grid, and their figures. */
function RfmView() {
  const answer = useSegments('rfm_segment');
  const scores = useSegments('rfm_score');
  if (answer.isPending || scores.isPending) return <Loading what="the RFM segments" />;
  if (answer.isError) return <ProblemView error={answer.error} />;
  if (scores.isError) return <ProblemView error={scores.error} />;
  const cells: RfmCell[] = SCORES.flatMap((recency) =>
    SCORES.map((frequency) => ({
      recency,
      frequency,
      segment:
        RFM_SEGMENTS.find(
          (s) =>
            recency >= s.recency[0] &&
            recency <= s.recency[1] &&
            frequency >= s.frequency[0] &&
            frequency <= s.frequency[1],
        )?.name ?? '',
      customers: scores.data.segments.find((a) => a.value === `R${recency} F${frequency}`)?.customers ?? 0,
    })),
  );
  const purchasers = cells.reduce((sum, c) => sum + c.customers, 0);
  return (
    <section className="rfm" aria-label="RFM segments">
      <h2>RFM segments</h2>
      <p className="summary">
        Purchasers by recency (R) and frequency (F) score, each cell labelled with the segment it belongs to;
        customers without an order have no RFM scores.
      </p>
      {purchasers === 0 ? (
        <p className="empty">No customer has ordered yet, so none has RFM scores.</p>
      ) : (
        <div className="views">
          <RfmChart cells={cells} />
          <SegmentFigures segments={answer.data} title="By RFM segment" />
        </div>
      )}
    </section>
  );
}

function CustomerFilters({
  search,
  onChange,
}: {
  search: URLSearchParams;
  onChange: (name: string, value: string) => void;
}) {
  const select = (name: (typeof FILTERS)[number], label: string, values: readonly string[]) => (
    <label>
      {label}
      <select
        name={name}
        value={search.get(name) ?? ''}
        onChange={(event) => onChange(name, event.target.value)}
      >
        <option value="">any</option>
        {values.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
        {/* A value from the URL that is not one of ours stays shown; the API says what is wrong with it. */}
        {search.has(name) && !values.includes(search.get(name) ?? '') && (
          <option value={search.get(name) ?? ''}>{search.get(name)}</option>
        )}
      </select>
    </label>
  );
  return (
    <form className="controls" aria-label="Customer filters" onSubmit={(event) => event.preventDefault()}>
      {select('type', 'Type', TYPES)}
      {select('atRisk', 'At risk', ['true', 'false'])}
      {select('tier', 'Tier', TIERS)}
      {select(
        'rfmSegment',
        'RFM segment',
        RFM_SEGMENTS.map((s) => s.name),
      )}
    </form>
  );
}

function CustomerList({ search }: { search: URLSearchParams }) {
  const answer = useRoute<typeof listCustomers>(
    '/v1/projects/:projectId/customers',
    pick(search, [...FILTERS, 'after', 'limit']),
  );
  if (answer.isPending) return <Loading what="the customers" />;
  if (answer.isError) return <ProblemView error={answer.error} />;
  const { customers, next } = answer.data;
  return (
    <>
      {customers.length === 0 ? (
        <p className="empty">No customers match these filters.</p>
      ) : (
        <TableScroll label="Customers table">
          <table className="figures customer-list">
            <caption>Customers, in customer-key order</caption>
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Type</th>
                <th scope="col">At risk</th>
                <th scope="col">RFM</th>
                <th scope="col">Tier</th>
                <th scope="col">Touchpoints</th>
                <th scope="col">Orders</th>
                <th scope="col">Revenue</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {customers.map((c) => (
                <tr key={c.customer}>
                  <th scope="row">
                    <Link href={customerHref(c.customer)}>{c.customer}</Link>
                  </th>
                  <td>{c.type}</td>
                  <td>{c.atRisk ? 'yes' : 'no'}</td>
                  <td>{c.rfm === null ? '—' : `R${c.rfm.recency} F${c.rfm.frequency} M${c.rfm.monetary}`}</td>
                  <td>{c.tier ?? '—'}</td>
                  <td data-csv={c.touchpoints}>{formatCount(c.touchpoints)}</td>
                  <td data-csv={c.purchases.orders}>{formatCount(c.purchases.orders)}</td>
                  <td data-csv={c.purchases.revenue}>{formatMoney(c.purchases.revenue)}</td>
                  <td>
                    <time dateTime={c.lastSeenAt} data-csv={c.lastSeenAt}>
                      {formatInstant(c.lastSeenAt)}
                    </time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <Pager param="after" next={next} label="Pages of customers" />
    </>
  );
}
