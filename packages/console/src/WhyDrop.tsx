import type { getStageFunnelWhyDrop, RouteResponse } from '@waymark/api-contract';
import { type FormEvent, useState } from 'react';
import { useRoute } from './api.ts';
import { formatCohort, formatCount, formatDuration, formatPercent } from './format.ts';
import { BREAKDOWN_GROUPS, FILTER_DIMENSIONS } from './journey-state.ts';
import { hrefOf, navigate, useLocation } from './router.tsx';
import { STAGE_NAMES } from './stages.ts';
import { Loading, ProblemView, TableScroll } from './ui.tsx';

type Answer = RouteResponse<typeof getStageFunnelWhyDrop>;
/** What the stage funnel's and the custom funnel's answers share. */
type WhyDropAnswer = Pick<Answer, 'factors' | 'paths' | 'limits' | 'testedFactors'>;
type Ranked = Answer['factors'][number];

/** The URL's parameters of {@link WhyDropControls}, named as the stage endpoint's query takes them. */
const CONTROL_PARAMETERS = ['dimensions', 'minSupport'] as const;

/**
 * The URL's parameters the endpoint takes: the Journey's cohort (stage range, entry filters repeated), the stage,
 * the controls.
 */
const PARAMETERS = new Set([
  'from',
  'to',
  'window',
  'mode',
  'fromStage',
  'toStage',
  'stage',
  ...CONTROL_PARAMETERS,
  ...FILTER_DIMENSIONS,
]);

/**
 * Why did they drop at stage k → k + 1 of the Journey's cohort, mode and stage range (docs/analytics/why-drop.md): what the
 * customers who went on and those who did not did differently, as the API ranks it, and where the droppers
 * went instead.
 */
export function WhyDrop() {
  const { search } = useLocation();
  const query = new URLSearchParams([...search].filter(([name]) => PARAMETERS.has(name)));
  const stage = STAGE_NAMES.find((name) => name === search.get('stage'));
  const answer = useRoute<typeof getStageFunnelWhyDrop>(
    '/v1/projects/:projectId/funnel/stages/why-drop',
    query,
  );
  return (
    <main className="why-drop">
      {/* Only a stage's name: any other value is the API's to refuse, not a heading's to show. */}
      <h1>Why did they drop{stage ? ` after ${stage}` : ''}?</h1>
      {answer.isPending ? (
        <Loading what="what converters and droppers did" />
      ) : answer.isError ? (
        <ProblemView error={answer.error} />
      ) : (
        <WhyDropView answer={answer.data} />
      )}
    </main>
  );
}

/** A factor as a reader says it: "device = Android and page /shipping". */
function factorLabel(factor: Ranked['factor']): string {
  switch (factor.kind) {
    case 'event':
    case 'page':
      return `${factor.kind} ${factor.name}`;
    case 'property':
      return `${factor.key} = ${factor.value}`;
    case 'customer':
      return `${factor.dimension} = ${factor.value}`;
    case 'segment_touchpoint':
      return `${factor.dimension} = ${factor.value} and ${factor.touchpoint.kind} ${factor.touchpoint.name}`;
  }
}

/** Conversion among customers with (or without) a factor; '—' when there are none. */
const conversion = (converted: number, dropped: number) =>
  converted + dropped === 0 ? '—' : formatPercent(converted / (converted + dropped));
const ratio = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : String(x));
const qValue = (q: number) => (q < 0.001 ? '< 0.001' : q.toFixed(3));

function WhyDropView({ answer }: { answer: Answer }) {
  const reached = answer.converted + answer.dropped;
  return (
    <>
      <p className="summary">
        Of the <strong>{formatCount(reached)}</strong> customers who {formatCohort(answer)} and were counted
        at <strong>{answer.stage}</strong> ({answer.mode}, window {formatDuration(answer.windowSeconds)}),{' '}
        {formatCount(answer.converted)} went on to {answer.nextStage} and{' '}
        <strong>{formatCount(answer.dropped)}</strong> dropped.
      </p>
      <WhyDropFigures answer={answer} after={answer.stage} />
    </>
  );
}

/**
 * What a custom funnel's why-drop body takes from the URL's controls: absent, the API's defaults. A value the
 * API refuses (minSupport=abc is NaN, sent as null) shows its problem.
 */
export function whyDropControlsOf(search: URLSearchParams): { dimensions?: string[]; minSupport?: number } {
  const dimensions = search.get('dimensions');
  const minSupport = search.get('minSupport');
  return {
    ...(dimensions !== null && { dimensions: dimensions === '' ? [] : dimensions.split(',') }),
    ...(minSupport !== null && { minSupport: Number(minSupport) }),
  };
}

/**
 * The customer dimensions a why-drop can test: the breakdown select's customer dimensions, less `interest`
 * (several values per customer) and the entry campaign (a touchpoint's, not a customer's).
 */
const TESTABLE_DIMENSIONS = BREAKDOWN_GROUPS.filter((group) => group.label !== 'Entry campaign')
  .map((group) => ({ ...group, dimensions: group.dimensions.filter((d) => d !== 'interest') }))
  .filter((group) => group.dimensions.length > 0);

/**
 * Which customer dimensions are tested and the support a factor needs, starting from what the answer says
 * it used; applying puts them in the URL, so the screen can be shared as it is.
 */
function WhyDropControls({ limits }: { limits: WhyDropAnswer['limits'] }) {
  const location = useLocation();
  const [dimensions, setDimensions] = useState<readonly string[]>(limits.dimensions);
  const [minSupport, setMinSupport] = useState(String(limits.minSupport));
  const toggle = (dimension: string, on: boolean) =>
    setDimensions(on ? [...dimensions, dimension] : dimensions.filter((d) => d !== dimension));
  const apply = (event: FormEvent) => {
    event.preventDefault();
    const search = new URLSearchParams(location.search);
    search.set('dimensions', dimensions.join(','));
    search.set('minSupport', minSupport);
    navigate(hrefOf(location.path, search));
  };
  return (
    <form className="why-drop-controls" aria-label="What is tested" onSubmit={apply}>
      <details>
        {/* What the figures below used, not the draft: it changes on Apply. */}
        <summary>
          Tested: {limits.dimensions.length === 0 ? 'no customer dimension' : limits.dimensions.join(', ')}
          {'; '}factors with at least {limits.minSupport} customers
        </summary>
        <fieldset>
          <legend>Customer dimensions (at most 8)</legend>
          {TESTABLE_DIMENSIONS.map((group) => (
            <div key={group.label} className="dimension-group">
              <span>{group.label}</span>
              {group.dimensions.map((dimension) => (
                <label key={dimension}>
                  <input
                    type="checkbox"
                    name="dimensions"
                    value={dimension}
                    checked={dimensions.includes(dimension)}
                    onChange={(e) => toggle(dimension, e.target.checked)}
                  />{' '}
                  {dimension}
                </label>
              ))}
            </div>
          ))}
        </fieldset>
        <label className="min-support">
          Minimum customers per factor
          <input
            type="number"
            name="minSupport"
            min={1}
            value={minSupport}
            onChange={(e) => setMinSupport(e.target.value)}
          />
        </label>
        <button type="submit">Apply</button>
      </details>
    </form>
  );
}

/**
 * The ranked factors and the droppers' paths of either why-drop answer (stage funnel, custom funnel); `after`
 * names step or stage k.
 */
export function WhyDropFigures({
  answer,
  after,
  level = 2,
}: {
  answer: WhyDropAnswer;
  after: string;
  /** The heading level of its parts: 3 inside a section of another screen. */
  level?: 2 | 3;
}) {
  const Heading = level === 2 ? 'h2' : 'h3';
  return (
    <>
      {/* A new answer starts the controls from what it used. */}
      <WhyDropControls key={JSON.stringify(answer.limits)} limits={answer.limits} />
      <p className="summary">
        {formatCount(answer.testedFactors)} factors had at least {formatCount(answer.limits.minSupport)}{' '}
        customers and were tested; the best ranked are below.
      </p>
      {answer.factors.length === 0 ? (
        <p className="empty">No factor had enough customers to be tested.</p>
      ) : (
        <TableScroll label="Factors table">
          <table className="figures why-drop-factors">
            <caption>
              What converters and droppers did differently, by q-value (Benjamini–Hochberg), then the size of
              the odds ratio
            </caption>
            <thead>
              <tr>
                <th scope="col">Factor</th>
                <th scope="col">Dropped with it</th>
                <th scope="col">Converted with it</th>
                <th scope="col">Conversion with it</th>
                <th scope="col">Conversion without it</th>
                <th scope="col">Odds ratio (95% CI)</th>
                <th scope="col">q-value</th>
                <th scope="col">More common among</th>
              </tr>
            </thead>
            <tbody>
              {answer.factors.map((f) => (
                <tr key={factorLabel(f.factor)} className={f.significant ? undefined : 'not-significant'}>
                  <th scope="row" className="factor">
                    {factorLabel(f.factor)}
                  </th>
                  <td data-csv={f.droppedWith}>{formatCount(f.droppedWith)}</td>
                  <td data-csv={f.convertedWith}>{formatCount(f.convertedWith)}</td>
                  <td>{conversion(f.convertedWith, f.droppedWith)}</td>
                  <td>{conversion(f.convertedWithout, f.droppedWithout)}</td>
                  <td data-csv={f.oddsRatio}>
                    {ratio(f.oddsRatio)} [{ratio(f.confidenceInterval.lower)},{' '}
                    {ratio(f.confidenceInterval.upper)}]
                  </td>
                  <td data-csv={f.qValue}>{qValue(f.qValue)}</td>
                  <td>{f.significant ? f.overRepresentedIn : 'not significant'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <Heading>Where the droppers went instead</Heading>
      {answer.paths.length === 0 ? (
        <p className="empty">Nobody dropped.</p>
      ) : (
        <TableScroll label="Paths after the drop-off table">
          <table className="figures why-drop-paths">
            <caption>
              The droppers' first {answer.limits.pathLength} touchpoints after reaching {after}, most common
              first
            </caption>
            <thead>
              <tr>
                <th scope="col">Path</th>
                <th scope="col">Droppers</th>
                <th scope="col">Of the droppers</th>
              </tr>
            </thead>
            <tbody>
              {answer.paths.map((p) => (
                <tr key={p.touchpoints.join('\u0000')}>
                  <th scope="row" className="factor">
                    {p.touchpoints.length === 0 ? '(nothing)' : p.touchpoints.join(' → ')}
                  </th>
                  <td data-csv={p.customers}>{formatCount(p.customers)}</td>
                  <td data-csv={p.share}>{formatPercent(p.share)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </>
  );
}
