import type { compareExperimentVariants, RouteRequest, RouteResponse } from '@waymark/api-contract';
import { useMemo } from 'react';
import { usePostedRoute } from './api.ts';
import { EventPicker, PropertyPicker, ValueInput } from './catalog-pickers.tsx';
import { ExperimentChart } from './ExperimentChart.tsx';
import { formatCount, formatDuration, formatPercent } from './format.ts';
import { hrefOf, navigate, useLocation } from './router.tsx';
import { STAGE_NAMES } from './stages.ts';
import { Loading, ProblemView, RangeFields, SelectOptions, TableScroll } from './ui.tsx';
import { lastThirtyDays, readSearch } from './url-state.ts';

type Request = RouteRequest<typeof compareExperimentVariants>['body'];
type Answer = RouteResponse<typeof compareExperimentVariants>;
type Variant = Answer['variants'][number];
type StageName = Exclude<NonNullable<Request['steps'][number]['stage']>, number>;

const CONVERSIONS: Record<string, string> = { stage: 'reaching a stage', event: 'an event' };

/**
 * The screen's settings, all in the URL. The event and property names are picked from the project's event
 * catalog; '' for the exposure event means any touchpoint carrying the experiment.
 */
const defaults = () => ({
  ...lastThirtyDays(),
  window: '30d',
  experiment: '',
  experimentProperty: 'experiment',
  variantProperty: 'variant',
  exposureEvent: '',
  conversion: 'stage',
  goal: 'purchase',
  control: '',
});
type ExperimentState = ReturnType<typeof defaults>;

/** The API's body: the conversion is the one step after the exposure, a stage or an event. */
function experimentRequest(state: ExperimentState): Request {
  return {
    from: state.from,
    to: state.to,
    window: state.window,
    experiment: state.experiment,
    experimentProperty: state.experimentProperty,
    variantProperty: state.variantProperty,
    ...(state.exposureEvent && { exposure: { event: state.exposureEvent } }),
    // Any other `conversion` is asked as a stage, for the API to name what is wrong with it.
    steps: [state.conversion === 'event' ? { event: state.goal } : { stage: state.goal as StageName }],
    ...(state.control && { control: state.control }),
  };
}

/** Experiments: per variant, how many exposed customers converted, and how each compares with the control. */
export function Experiments() {
  const location = useLocation();
  const state = readSearch(location.search, defaults());
  const setState = (next: ExperimentState) => navigate(hrefOf(location.path, next), { replace: true });
  const answer = usePostedRoute<typeof compareExperimentVariants>(
    '/v1/projects/:projectId/experiments/compare',
    experimentRequest(state),
    {},
    { enabled: state.experiment !== '' && state.goal !== '' },
  );
  return (
    <main className="experiments">
      <h1>Experiments</h1>
      <ExperimentControls state={state} onChange={setState} />
      {state.experiment === '' ? (
        <p className="hint">
          Name the experiment: the value your site sends in the exposure touchpoint's{' '}
          <code>properties.{state.experimentProperty}</code>, with the variant in{' '}
          <code>properties.{state.variantProperty}</code>.
        </p>
      ) : state.goal === '' ? (
        <p className="hint">Name the event that counts as a conversion.</p>
      ) : answer.isPending ? (
        <Loading what="the experiment" />
      ) : answer.isError ? (
        <ProblemView error={answer.error} />
      ) : answer.data.variants.length === 0 ? (
        <p className="empty">
          Nobody was first exposed to <code>{answer.data.experiment}</code> in this range
          {answer.data.multipleVariantCustomers > 0 &&
            ` (${formatCount(answer.data.multipleVariantCustomers)} customers saw more than one variant and are left out)`}
          .
        </p>
      ) : (
        <ExperimentView answer={answer.data} />
      )}
    </main>
  );
}

function ExperimentControls({
  state,
  onChange,
}: {
  state: ExperimentState;
  onChange: (next: ExperimentState) => void;
}) {
  const field = (name: keyof ExperimentState) => (event: { target: { value: string } }) =>
    onChange({ ...state, [name]: event.target.value });
  const range = { from: state.from, to: state.to };
  const pick = (name: keyof ExperimentState) => (value: string) => onChange({ ...state, [name]: value });
  const property = (name: 'experimentProperty' | 'variantProperty', label: string) => (
    <PropertyPicker
      range={range}
      event={state.exposureEvent}
      label={label}
      name={name}
      value={state[name]}
      onChange={pick(name)}
    />
  );
  return (
    <form className="controls" aria-label="Experiment settings" onSubmit={(event) => event.preventDefault()}>
      <EventPicker
        range={range}
        label="Exposure event"
        name="exposureEvent"
        anyLabel="Any touchpoint"
        value={state.exposureEvent}
        onChange={pick('exposureEvent')}
      />
      {property('experimentProperty', 'Experiment property')}
      <ValueInput
        range={range}
        event={state.exposureEvent}
        property={state.experimentProperty}
        label="Experiment"
        name="experiment"
        value={state.experiment}
        placeholder="checkout-v2"
        asText={String}
        onChange={pick('experiment')}
      />
      {property('variantProperty', 'Variant property')}
      <label>
        Converts on
        <select
          name="conversion"
          value={state.conversion}
          onChange={(event) =>
            onChange({
              ...state,
              conversion: event.target.value,
              goal: event.target.value === 'stage' ? 'purchase' : '',
            })
          }
        >
          <SelectOptions values={CONVERSIONS} current={state.conversion} />
        </select>
      </label>
      {state.conversion === 'event' ? (
        <EventPicker
          range={range}
          label="Conversion event"
          name="goal"
          value={state.goal}
          onChange={pick('goal')}
        />
      ) : (
        <label>
          Conversion stage
          <select name="goal" value={state.goal} onChange={field('goal')}>
            <SelectOptions values={STAGE_NAMES} current={state.goal} />
          </select>
        </label>
      )}
      <ValueInput
        range={range}
        event={state.exposureEvent}
        property={state.variantProperty}
        label="Control"
        name="control"
        value={state.control}
        placeholder="first by name"
        asText={String}
        onChange={pick('control')}
      />
      <RangeFields
        from={state.from}
        to={state.to}
        onChange={(name, value) => onChange({ ...state, [name]: value })}
      />
      <label>
        Window
        <input name="window" value={state.window} size={6} onChange={field('window')} />
      </label>
    </form>
  );
}

const VERDICTS: Record<NonNullable<Variant['comparison']>['verdict'], string> = {
  better: 'Better than the control',
  worse: 'Worse than the control',
  'no significant difference': 'No significant difference',
  'not enough data': 'Not enough data',
};

const signed = (fraction: number) => `${fraction > 0 ? '+' : ''}${formatPercent(fraction)}`;
const pValue = (value: number) => (value < 0.001 ? '< 0.001' : value.toFixed(3));

function ExperimentView({ answer }: { answer: Answer }) {
  const short = answer.variants.filter((v) => v.comparison && !v.comparison.enoughData);
  const bars = useMemo(() => {
    const control = answer.variants[0]?.conversionRate ?? 0;
    return answer.variants.map((v) => ({
      name: v.variant,
      rate: v.conversionRate,
      // The interval of the difference, placed on the control's rate: where this variant's rate may be.
      range:
        v.comparison &&
        ([
          control + v.comparison.confidenceInterval.lower,
          control + v.comparison.confidenceInterval.upper,
        ] as const),
    }));
  }, [answer]);
  return (
    <>
      <p className="summary">
        <strong>{formatCount(answer.exposedCustomers)}</strong> customers first exposed to{' '}
        <code>{answer.experiment}</code> between {answer.from.slice(0, 10)} and {answer.to.slice(0, 10)}.
        Conversion within {formatDuration(answer.windowSeconds)} of exposure. Control:{' '}
        <strong>{answer.control}</strong>.
      </p>
      <p className="summary" data-field="multipleVariantCustomers">
        {formatCount(answer.multipleVariantCustomers)} customers saw more than one variant and are left out
        {answer.excludedCustomers > 0 && `; ${formatCount(answer.excludedCustomers)} were excluded`}.
        {answer.variantsTruncated && ' Only the first 50 variants are shown: check the variant property.'}
      </p>
      {short.length > 0 && (
        <p className="not-enough" role="note">
          <strong>Not enough data</strong> for a verdict on {short.map((v) => v.variant).join(', ')}: each
          group needs at least 100 exposed customers (the minimum sample), and at least 5 who converted and 5
          who did not. The figures are shown for inspection only.
        </p>
      )}
      <ExperimentChart variants={bars} />
      <TableScroll label="Variants table">
        <table className="figures experiment-figures">
          <caption>Conversion per variant, and each variant against the control (95% interval)</caption>
          <thead>
            <tr>
              <th scope="col">Variant</th>
              <th scope="col">Exposed</th>
              <th scope="col">Converted</th>
              <th scope="col">Conversion</th>
              <th scope="col">Lift</th>
              <th scope="col">Relative lift</th>
              <th scope="col">95% CI low</th>
              <th scope="col">95% CI high</th>
              <th scope="col">p-value</th>
              <th scope="col">Verdict</th>
            </tr>
          </thead>
          <tbody>
            {answer.variants.map((v) => (
              <VariantRow key={v.variant} variant={v} />
            ))}
          </tbody>
        </table>
      </TableScroll>
      <p className="note">
        Each variant is tested against the control on its own (pooled two-proportion z-test, unpooled Wald
        interval): with several variants, compare the p-value with 0.05 divided by their number. Stopping an
        experiment at the first significant answer overstates it; decide the sample size first.
      </p>
    </>
  );
}

function VariantRow({ variant: v }: { variant: Variant }) {
  const c = v.comparison;
  const none = (key: string) => <td key={key}>—</td>;
  return (
    <tr data-variant={v.variant}>
      <th scope="row">
        {v.variant}
        {c === null && ' (control)'}
      </th>
      <td data-csv={v.exposed}>{formatCount(v.exposed)}</td>
      <td data-csv={v.converted}>{formatCount(v.converted)}</td>
      <td data-csv={v.conversionRate}>{formatPercent(v.conversionRate)}</td>
      {c === null ? (
        ['lift', 'relative', 'low', 'high', 'p', 'verdict'].map(none)
      ) : (
        <>
          <td data-csv={c.absoluteLift}>{signed(c.absoluteLift)}</td>
          {c.relativeLift === null ? (
            none('relative')
          ) : (
            <td data-csv={c.relativeLift}>{signed(c.relativeLift)}</td>
          )}
          <td data-csv={c.confidenceInterval.lower}>{signed(c.confidenceInterval.lower)}</td>
          <td data-csv={c.confidenceInterval.upper}>{signed(c.confidenceInterval.upper)}</td>
          {c.pValue === null ? none('p') : <td data-csv={c.pValue}>{pValue(c.pValue)}</td>}
          <td data-verdict={c.verdict}>{VERDICTS[c.verdict]}</td>
        </>
      )}
    </tr>
  );
}
