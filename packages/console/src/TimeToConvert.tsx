import { formatCount, formatPercent } from './format.ts';
import { hrefOf, navigate, useLocation } from './router.tsx';
import { TimeToConvertChart } from './TimeToConvertChart.tsx';
import {
  bucketLabel,
  CONVERT_PARAM,
  type ConvertStep,
  defaultStep,
  shownBuckets,
} from './time-to-convert.ts';
import { Duration, TableScroll } from './ui.tsx';

/**
 * How long a funnel's customers took from one step to the next: the histogram of the step the URL's
 * `convert` names (else `defaultStep`'s), picked in a select, as columns and a table of the same figures.
 */
export function TimeToConvert({ steps, preferred }: { steps: readonly ConvertStep[]; preferred?: string }) {
  const { path, search } = useLocation();
  const step = steps.find((s) => s.key === search.get(CONVERT_PARAM)) ?? defaultStep(steps, preferred);
  if (step === undefined) return null;
  const choose = (key: string) => {
    const next = new URLSearchParams(search);
    next.set(CONVERT_PARAM, key);
    navigate(hrefOf(path, next), { keepScroll: true });
  };
  const buckets = shownBuckets(step.timeToConvert);
  return (
    <section className="time-to-convert" aria-labelledby="time-to-convert-heading">
      <h2 id="time-to-convert-heading">Time to convert</h2>
      <div className="controls">
        <label>
          Step
          <select name={CONVERT_PARAM} value={step.key} onChange={(e) => choose(e.target.value)}>
            {steps.map((s) => (
              <option key={s.key} value={s.key}>
                {s.from} → {s.to}
              </option>
            ))}
          </select>
        </label>
      </div>
      {buckets.length === 0 ? (
        <p className="summary">
          Nobody went from {step.from} to {step.to} within the window.
        </p>
      ) : (
        <>
          <p className="summary">
            <strong>{formatCount(step.customers)}</strong> customers went from {step.from} to {step.to}:
            median <Duration seconds={step.medianSecondsFromPrevious} />, p90{' '}
            <Duration seconds={step.p90SecondsFromPrevious} />.
          </p>
          <div className="views">
            <TimeToConvertChart
              buckets={buckets}
              label={`Time to convert from ${step.from} to ${step.to}, customers per time bucket`}
            />
            <TableScroll label="Time to convert table">
              <table className="time-to-convert-figures">
                <caption>
                  Customers by time from {step.from} to {step.to}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Customers</th>
                    <th scope="col">Share</th>
                  </tr>
                </thead>
                <tbody>
                  {buckets.map((b) => (
                    <tr key={b.fromSeconds} data-from={b.fromSeconds} data-to={b.toSeconds}>
                      <th scope="row">{bucketLabel(b)}</th>
                      <td data-csv={b.customers}>{formatCount(b.customers)}</td>
                      <td data-csv={b.customers / step.customers}>
                        {formatPercent(b.customers / step.customers)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          </div>
        </>
      )}
    </section>
  );
}
