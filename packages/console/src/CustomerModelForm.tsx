import type { getCustomerModel, putCustomerModel, RouteRequest, RouteResponse } from '@waymark/api-contract';
import { useState } from 'react';
import { ApiProblem, useChangeRoute } from './api.ts';
import { ConflictView } from './ConflictView.tsx';
import { ProblemView, TableScroll } from './ui.tsx';

type CurrentModel = RouteResponse<typeof getCustomerModel>;
type ModelBody = RouteRequest<typeof putCustomerModel>['body'];

/** Every threshold of the customer model (docs/customers.md), by its path in the model document. */
const THRESHOLDS = [
  ['complainingWithinDays', 'Complaining: a complaint within (days)'],
  ['advocateWithinDays', 'Advocate: an advocacy-stage touchpoint within (days)'],
  ['lostAfterDays', 'Lost: has ordered, no touchpoint for (days)'],
  ['atRiskAfterDays', 'At risk: has ordered, no touchpoint for (days)'],
  ['loyal.minOrders', 'Loyal: at least (orders)'],
  ['loyal.ordersWithinDays', 'Loyal: those orders within (days)'],
  ['loyal.activeWithinDays', 'Loyal: a touchpoint within (days)'],
  ['casualMinOrders', 'Casual: at least (orders)'],
  ['tiers.a', 'Tier A: customers up to this share of revenue (0–1)'],
  ['tiers.b', 'Tier B: up to this share of revenue (0–1)'],
] as const;
type Threshold = (typeof THRESHOLDS)[number][0];
type Draft = Record<Threshold, string>;

const valueAt = (model: CurrentModel['model'], path: Threshold): string =>
  String(path.split('.').reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], model));

const draftOf = (model: CurrentModel['model']): Draft =>
  Object.fromEntries(THRESHOLDS.map(([path]) => [path, valueAt(model, path)])) as Draft;

/**
 * The draft as the API takes it. A field that is not a number is sent as typed, so the server's answer
 * names it (the model's zod schema in @waymark/journey is the one validator).
 */
function modelOf(draft: Draft): ModelBody['model'] {
  const model: Record<string, unknown> = {};
  for (const [path, text] of Object.entries(draft)) {
    const n = Number(text);
    const value = text.trim() !== '' && Number.isFinite(n) ? n : text;
    const [group, key] = path.split('.') as [string, string | undefined];
    if (key === undefined) model[group] = value;
    else model[group] = { ...(model[group] as Record<string, unknown> | undefined), [key]: value };
  }
  return model as ModelBody['model'];
}

/** The API's field errors by threshold: `model.loyal.minOrders` → `loyal.minOrders`. */
function errorsByField(error: Error | null): Map<string, string[]> {
  const byField = new Map<string, string[]>();
  if (!(error instanceof ApiProblem) || error.problem.status !== 400) return byField;
  for (const { field, message } of error.problem.errors ?? []) {
    const path = field.replace(/^model\.?/, '');
    byField.set(path, [...(byField.get(path) ?? []), message]);
  }
  return byField;
}

const isConflict = (error: Error | null) => error instanceof ApiProblem && error.problem.status === 409;

/**
 * The customer-model thresholds. There is no dry run of a model, so the server checks it on save and each
 * refusal is shown at its field; saving names the next version, as the ruleset editor does.
 */
export function CustomerModelForm({ current, onStale }: { current: CurrentModel; onStale: () => void }) {
  const [base, setBase] = useState(current);
  const [draft, setDraft] = useState(() => draftOf(current.model));
  const save = useChangeRoute<typeof putCustomerModel>({
    method: 'put',
    path: '/v1/projects/:projectId/customer-model',
  });
  const load = (saved: CurrentModel) => {
    setBase(saved);
    setDraft(draftOf(saved.model));
  };
  const submit = (onto: CurrentModel, model: ModelBody['model']) =>
    save.mutate(
      { body: { version: onto.version + 1, model } },
      { onSuccess: load, onError: (error) => isConflict(error) && onStale() },
    );
  const errors = errorsByField(save.error);
  const differing = THRESHOLDS.filter(([path]) => valueAt(current.model, path) !== draft[path]);
  // Errors of the model as a whole, or of a field the form does not show.
  const other = [...errors].filter(([path]) => !THRESHOLDS.some(([known]) => known === path));
  return (
    <form
      className="customer-model"
      aria-label="Customer model"
      onSubmit={(event) => {
        event.preventDefault();
        submit(base, modelOf(draft));
      }}
    >
      <p>
        Version {base.version} ({base.source === 'default' ? 'the documented defaults' : "the project's own"}
        ). Customer figures use a saved model at once.
      </p>
      <div className="thresholds">
        {THRESHOLDS.map(([path, label]) => {
          const messages = errors.get(path) ?? [];
          const errorsId = `threshold-${path.replace('.', '-')}-errors`;
          return (
            <div key={path} className="threshold" data-field={path}>
              <label>
                {label}
                <input
                  name={path}
                  inputMode="decimal"
                  value={draft[path]}
                  aria-invalid={messages.length > 0}
                  aria-describedby={messages.length > 0 ? errorsId : undefined}
                  onChange={(e) => {
                    setDraft({ ...draft, [path]: e.target.value });
                    save.reset();
                  }}
                />
              </label>
              {messages.length > 0 && (
                <ul id={errorsId} className="field-errors">
                  {messages.map((message) => (
                    <li key={message}>{message}</li>
                  ))}
                </ul>
              )}
            </div>
          );
        })}
      </div>
      {other.length > 0 && (
        <ul className="field-errors">
          {other.map(([path, messages]) => (
            <li key={path}>
              {path && <code>{path}</code>}
              {path && ': '}
              {messages.join('; ')}
            </li>
          ))}
        </ul>
      )}
      <div className="actions save-bar">
        <button type="submit" disabled={save.isPending}>
          Save as version {base.version + 1}
        </button>
        <button type="button" disabled={save.isPending} onClick={() => submit(base, {})}>
          Reset to the defaults
        </button>
        <p role="status" className="check">
          {save.isSuccess
            ? `Saved version ${base.version}.`
            : errors.size > 0
              ? 'Fix the errors shown to save.'
              : ''}
        </p>
      </div>
      {save.isError && isConflict(save.error) && (
        <ConflictView
          what="customer model"
          theirVersion={current.version}
          same={differing.length === 0}
          onLoadTheirs={() => {
            save.reset();
            load(current);
          }}
          onOverwrite={() => {
            setBase(current);
            submit(current, modelOf(draft));
          }}
        >
          <TableScroll label="Their customer model and yours">
            <table className="figures conflict-figures">
              <thead>
                <tr>
                  <th scope="col">Threshold</th>
                  <th scope="col">Theirs (version {current.version})</th>
                  <th scope="col">Yours</th>
                </tr>
              </thead>
              <tbody>
                {differing.map(([path, label]) => (
                  <tr key={path}>
                    <th scope="row">{label}</th>
                    <td>{valueAt(current.model, path)}</td>
                    <td>{draft[path]}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </ConflictView>
      )}
      {save.isError && !isConflict(save.error) && errors.size === 0 && <ProblemView error={save.error} />}
    </form>
  );
}
