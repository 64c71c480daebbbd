import type { UseQueryResult } from '@tanstack/react-query';
import type {
  dryRunStageRules,
  getStageRules,
  putStageRules,
  RouteRequest,
  RouteResponse,
} from '@waymark/api-contract';
import { useEffect, useMemo, useRef, useState } from 'react';
import { ApiProblem, useChangeRoute, usePostedRoute } from './api.ts';
import { ConflictView } from './ConflictView.tsx';
import { formatCount } from './format.ts';
import { diffLines } from './line-diff.ts';
import { STAGE_NAMES, type StageName } from './stages.ts';
import { Loading, ProblemView, TableScroll } from './ui.tsx';

type CurrentRuleset = RouteResponse<typeof getStageRules>;
type DryRun = RouteResponse<typeof dryRunStageRules>;
type RulesetBody = RouteRequest<typeof putStageRules>['body'];
type MatchInput = RulesetBody['rules'][number]['match'];

/** How many of the project's latest touchpoints the dry run stages. */
const DRY_RUN_LIMIT = 1000;
/** Long enough not to ask the server at every keystroke, short enough to feel like "as you type". */
const CHECK_DELAY_MS = 400;

/** A rule being edited: its match as the JSON text typed, so a half-typed match is kept as it is. */
interface RuleDraft {
  /** Stable across moves, for React and for the errors of a rule. */
  readonly id: number;
  /** 1–7; complaint rules have none. */
  readonly stage?: number;
  readonly description: string;
  readonly match: string;
}
interface Draft {
  readonly rules: readonly RuleDraft[];
  readonly complaintRules: readonly RuleDraft[];
}
type ListName = keyof Draft;

interface FieldError {
  readonly field: string;
  readonly message: string;
}

let nextRuleId = 0;
function ruleDraft(rule: {
  stage?: number | StageName;
  match: unknown;
  description?: string | undefined;
}): RuleDraft {
  const { stage } = rule;
  return {
    id: nextRuleId++,
    ...(stage !== undefined && { stage: typeof stage === 'number' ? stage : STAGE_NAMES.indexOf(stage) + 1 }),
    description: rule.description ?? '',
    match: formatMatch(rule.match),
  };
}

/** A match as JSON, a key a line but each list of values on one, so a rule of many events stays short. */
function formatMatch(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.every((item) => item === null || typeof item !== 'object')) {
      return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
    }
    return `[\n${value.map((item) => inner + formatMatch(item, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(
      ([key, item]) => `${inner}${JSON.stringify(key)}: ${formatMatch(item, inner)}`,
    );
    return `{\n${entries.join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

const draftOf = (ruleset: CurrentRuleset['ruleset']): Draft => ({
  rules: ruleset.rules.map(ruleDraft),
  complaintRules: (ruleset.complaintRules ?? []).map(ruleDraft),
});

/**
 * The draft as the API takes it, and the rules whose match is not JSON (sent as the text typed, so the
 * server still checks every other rule). Only JSON syntax is checked here: what a valid match is, is the
 * server's to say (the ruleset's zod schema in @waymark/journey).
 */
function rulesetOf(draft: Draft, version: number): { ruleset: RulesetBody; notJson: Map<number, string> } {
  const notJson = new Map<number, string>();
  const matchOf = (rule: RuleDraft): MatchInput => {
    try {
      return JSON.parse(rule.match) as MatchInput;
    } catch (error) {
      notJson.set(rule.id, `not JSON: ${(error as Error).message}`);
      return rule.match as MatchInput;
    }
  };
  const described = (rule: RuleDraft) => (rule.description.trim() ? { description: rule.description } : {});
  const ruleset: RulesetBody = {
    version,
    rules: draft.rules.map((rule) => ({ stage: rule.stage ?? 1, match: matchOf(rule), ...described(rule) })),
    complaintRules: draft.complaintRules.map((rule) => ({ match: matchOf(rule), ...described(rule) })),
  };
  return { ruleset, notJson };
}

/** `value`, once it has not changed for `ms`. */
function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

/**
 * The query's last settled answer while it asks again: the errors and figures of the previous draft stay
 * shown until the new ones arrive, instead of flickering at every keystroke.
 */
function useLastSettled<T>(query: UseQueryResult<T>) {
  const settled = useRef(query);
  if (!query.isFetching) settled.current = query;
  return { settled: settled.current, isFetching: query.isFetching };
}

const FIELD = /^(?:ruleset\.)?(rules|complaintRules)\[(\d+)\]\.?(.*)$/;

/**
 * The API's field errors, by rule: `ruleset.rules[3].match.event[0]` is rule 3's `match.event[0]`. Errors
 * of the ruleset as a whole are `other`.
 */
function errorsByRule(error: Error | null, draft: Draft, notJson: ReadonlyMap<number, string>) {
  const byRule = new Map<number, FieldError[]>();
  const other: FieldError[] = [];
  const errors = error instanceof ApiProblem && error.problem.status === 400 ? error.problem.errors : [];
  for (const { field, message } of errors ?? []) {
    const [, list, index, rest = ''] = FIELD.exec(field) ?? [];
    const rule = list && draft[list as ListName][Number(index)];
    if (!rule) {
      other.push({ field, message });
      continue;
    }
    // A match that is not JSON is said so already; the server only saw its text.
    if (notJson.has(rule.id) && rest === 'match') continue;
    byRule.set(rule.id, [...(byRule.get(rule.id) ?? []), { field: rest, message }]);
  }
  return { byRule, other };
}

const isConflict = (error: Error | null) => error instanceof ApiProblem && error.problem.status === 409;

/** A rule on one line, as a conflict lists them; a match that is not JSON as typed. */
function ruleLine(rule: RuleDraft): string {
  const stage = rule.stage === undefined ? '' : `${STAGE_NAMES[rule.stage - 1] ?? rule.stage} `;
  const description = rule.description ? `"${rule.description}" ` : '';
  try {
    return `${stage}${description}${JSON.stringify(JSON.parse(rule.match))}`;
  } catch {
    return `${stage}${description}${rule.match}`;
  }
}

interface OnlyIn {
  readonly label: string;
  readonly line: string;
}

/** The rules only theirs has and those only the draft has, labelled by their place in their own version. */
function rulesetDiff(theirs: CurrentRuleset['ruleset'], mine: Draft) {
  const their = draftOf(theirs);
  const onlyTheirs: OnlyIn[] = [];
  const onlyMine: OnlyIn[] = [];
  for (const list of ['rules', 'complaintRules'] as const) {
    const noun = list === 'rules' ? 'Rule' : 'Complaint rule';
    const a = their[list].map(ruleLine);
    const b = mine[list].map(ruleLine);
    const { onlyA, onlyB } = diffLines(a, b);
    onlyTheirs.push(...onlyA.map((i) => ({ label: `${noun} ${i + 1}`, line: a[i] as string })));
    onlyMine.push(...onlyB.map((j) => ({ label: `${noun} ${j + 1}`, line: b[j] as string })));
  }
  return { onlyTheirs, onlyMine };
}

function RulesOnlyIn({ heading, rules }: { heading: string; rules: readonly OnlyIn[] }) {
  return (
    <>
      <h4>{heading}</h4>
      {rules.length === 0 ? (
        <p>None.</p>
      ) : (
        <ul className="rules-only-in">
          {rules.map((rule) => (
            <li key={`${rule.label} ${rule.line}`}>
              {rule.label}: <code>{rule.line}</code>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/**
 * The stage ruleset editor: every rule in order (the first match gives a touchpoint its stage), checked by
 * the server's dry run as the user types, which also shows how the latest touchpoints would be staged.
 * Saving names the next version, so a save made meanwhile elsewhere is reported, never overwritten.
 */
export function StageRulesEditor({ current, onStale }: { current: CurrentRuleset; onStale: () => void }) {
  const [base, setBase] = useState(current);
  const [draft, setDraft] = useState(() => draftOf(current.ruleset));
  const [dirty, setDirty] = useState(false);
  const built = useMemo(() => rulesetOf(draft, base.version + 1), [draft, base.version]);
  const checked = useSettled(built, CHECK_DELAY_MS);
  const dryRun = useLastSettled(
    usePostedRoute<typeof dryRunStageRules>('/v1/projects/:projectId/stage-rules/dry-run', {
      ruleset: checked.ruleset,
      limit: DRY_RUN_LIMIT,
    }),
  );
  const save = useChangeRoute<typeof putStageRules>({
    method: 'put',
    path: '/v1/projects/:projectId/stage-rules',
  });

  const edit = (next: Draft) => {
    setDraft(next);
    setDirty(true);
    save.reset();
  };
  const load = (ruleset: CurrentRuleset) => {
    setBase(ruleset);
    setDraft(draftOf(ruleset.ruleset));
    setDirty(false);
  };
  const submit = (onto: CurrentRuleset) =>
    save.mutate(
      { body: { ...built.ruleset, version: onto.version + 1 } },
      { onSuccess: load, onError: (error) => isConflict(error) && onStale() },
    );

  const { notJson } = built;
  const saveRefused = save.error instanceof ApiProblem && save.error.problem.status === 400;
  const errors = errorsByRule(saveRefused ? save.error : dryRun.settled.error, draft, notJson);
  const checking = built !== checked || dryRun.isFetching;
  const diff = isConflict(save.error) ? rulesetDiff(current.ruleset, draft) : undefined;
  const valid = notJson.size === 0 && !checking && dryRun.settled.isSuccess && errors.byRule.size === 0;

  const list = (name: ListName) => (
    <RuleList
      name={name}
      rules={draft[name]}
      errors={errors.byRule}
      notJson={notJson}
      onChange={(rules) => edit({ ...draft, [name]: rules })}
    />
  );
  return (
    <form
      className="ruleset-editor"
      aria-label="Stage ruleset"
      onSubmit={(event) => {
        event.preventDefault();
        submit(base);
      }}
    >
      <div className="ruleset-rules">
        <p>
          Version {base.version} ({base.source === 'default' ? 'the shipped default' : "the project's own"}).
          Rules are tried in order; the first that matches gives a touchpoint its stage. A saved ruleset
          stages touchpoints processed from then on; stored ones keep their stage.
        </p>
        <h3>Stage rules</h3>
        {list('rules')}
        <h3>Complaint rules</h3>
        <p>Any match marks a complaint, whatever the stage.</p>
        {list('complaintRules')}
      </div>
      {/* Beside the rules and kept in view while they scroll: what the draft would do, and saving it. */}
      <aside className="ruleset-check" aria-label="Check and save">
        <div className="actions">
          <button type="submit" disabled={!dirty || !valid || save.isPending}>
            Save as version {base.version + 1}
          </button>
          <p role="status" className="check">
            {notJson.size > 0 || errors.byRule.size > 0 || errors.other.length > 0
              ? 'Fix the errors shown to save.'
              : checking
                ? 'Checking…'
                : save.isSuccess
                  ? `Saved version ${base.version}.`
                  : dirty
                    ? 'The draft is valid.'
                    : 'No changes.'}
          </p>
        </div>
        {errors.other.length > 0 && <FieldErrors id="ruleset-errors" errors={errors.other} />}
        {diff && (
          <ConflictView
            what="stage ruleset"
            theirVersion={current.version}
            same={diff.onlyTheirs.length === 0 && diff.onlyMine.length === 0}
            onLoadTheirs={() => {
              save.reset();
              load(current);
            }}
            onOverwrite={() => {
              setBase(current);
              submit(current);
            }}
          >
            <RulesOnlyIn heading={`Only in theirs (version ${current.version})`} rules={diff.onlyTheirs} />
            <RulesOnlyIn heading="Only in yours" rules={diff.onlyMine} />
          </ConflictView>
        )}
        {save.isError && !isConflict(save.error) && !saveRefused && <ProblemView error={save.error} />}
        <h3>Dry run</h3>
        {dryRun.settled.isPending ? (
          <Loading what="the dry run" />
        ) : dryRun.settled.isError ? (
          errors.byRule.size === 0 &&
          errors.other.length === 0 && <ProblemView error={dryRun.settled.error} />
        ) : (
          <DryRunView dryRun={dryRun.settled.data} />
        )}
      </aside>
    </form>
  );
}

function RuleList({
  name,
  rules,
  errors,
  notJson,
  onChange,
}: {
  name: ListName;
  rules: readonly RuleDraft[];
  errors: ReadonlyMap<number, FieldError[]>;
  notJson: ReadonlyMap<number, string>;
  onChange: (rules: readonly RuleDraft[]) => void;
}) {
  const noun = name === 'rules' ? 'Rule' : 'Complaint rule';
  const replace = (i: number, rule: RuleDraft) => onChange(rules.map((r, j) => (j === i ? rule : r)));
  const move = (i: number, by: -1 | 1) => {
    const next = [...rules];
    [next[i], next[i + by]] = [next[i + by] as RuleDraft, next[i] as RuleDraft];
    onChange(next);
  };
  return (
    <>
      <ol className="rules" data-list={name}>
        {rules.map((rule, i) => {
          const label = `${noun} ${i + 1}`;
          const problems = [
            ...(notJson.has(rule.id) ? [{ field: 'match', message: notJson.get(rule.id) as string }] : []),
            ...(errors.get(rule.id) ?? []),
          ];
          const errorsId = `${name}-${rule.id}-errors`;
          return (
            <li key={rule.id}>
              <fieldset className="rule" data-invalid={problems.length > 0} data-rule={i}>
                <legend>{label}</legend>
                {rule.stage !== undefined && (
                  <label>
                    Stage
                    <select
                      name="stage"
                      value={rule.stage}
                      onChange={(e) => replace(i, { ...rule, stage: Number(e.target.value) })}
                    >
                      {STAGE_NAMES.map((stage, s) => (
                        <option key={stage} value={s + 1}>
                          {s + 1}. {stage}
                        </option>
                      ))}
                    </select>
                  </label>
                )}
                <label className="description">
                  Description
                  <input
                    name="description"
                    value={rule.description}
                    onChange={(e) => replace(i, { ...rule, description: e.target.value })}
                  />
                </label>
                <label className="match">
                  Match (JSON)
                  <textarea
                    name="match"
                    spellCheck={false}
                    rows={Math.min(12, rule.match.split('\n').length)}
                    value={rule.match}
                    aria-invalid={problems.length > 0}
                    aria-describedby={problems.length > 0 ? errorsId : undefined}
                    onChange={(e) => replace(i, { ...rule, match: e.target.value })}
                  />
                </label>
                {problems.length > 0 && <FieldErrors id={errorsId} errors={problems} />}
                <div className="actions">
                  <button
                    type="button"
                    aria-label={`Move ${label} up`}
                    disabled={i === 0}
                    onClick={() => move(i, -1)}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    aria-label={`Move ${label} down`}
                    disabled={i === rules.length - 1}
                    onClick={() => move(i, 1)}
                  >
                    ↓
                  </button>
                  <button
                    type="button"
                    aria-label={`Remove ${label}`}
                    onClick={() => onChange(rules.filter((_, j) => j !== i))}
                  >
                    Remove
                  </button>
                </div>
              </fieldset>
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        onClick={() =>
          onChange([
            ...rules,
            ruleDraft({ ...(name === 'rules' && { stage: 1 }), match: { type: 'track', event: '' } }),
          ])
        }
      >
        Add a {noun.toLowerCase()}
      </button>
    </>
  );
}

/** A field's errors as the server gave them, each with the field's path inside the rule. */
function FieldErrors({ id, errors }: { id: string; errors: readonly FieldError[] }) {
  return (
    <ul id={id} className="field-errors">
      {errors.map((e) => (
        <li key={`${e.field}: ${e.message}`}>
          {e.field && <code>{e.field}</code>}
          {e.field && ': '}
          {e.message}
        </li>
      ))}
    </ul>
  );
}

const stageLabel = (stage: string | null) => (stage === null || stage === 'none' ? 'no stage' : stage);

function DryRunView({ dryRun }: { dryRun: DryRun }) {
  return (
    <div className="dry-run">
      <p>
        Of the project's latest {formatCount(dryRun.touchpoints)} touchpoints, {formatCount(dryRun.changed)}{' '}
        would get another stage under this draft than they have now.
      </p>
      <TableScroll label="Dry run by stage">
        <table className="figures dry-run-stages">
          <caption>Touchpoints by stage: as stored now, and under the draft</caption>
          <thead>
            <tr>
              <th scope="col">Stage</th>
              <th scope="col">Now</th>
              <th scope="col">Draft</th>
            </tr>
          </thead>
          <tbody>
            {Object.keys(dryRun.current).map((stage) => (
              <tr key={stage} data-stage={stage}>
                <th scope="row">{stageLabel(stage)}</th>
                <td>{formatCount(dryRun.current[stage] ?? 0)}</td>
                <td>{formatCount(dryRun.proposed[stage] ?? 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {dryRun.examples.length > 0 && (
        <TableScroll label="Touchpoints that would change stage">
          <table className="figures dry-run-examples">
            <caption>
              Touchpoints that would change stage ({formatCount(dryRun.examples.length)} of{' '}
              {formatCount(dryRun.changed)})
            </caption>
            <thead>
              <tr>
                <th scope="col">Message id</th>
                <th scope="col">Event or page</th>
                <th scope="col">Stage now → draft</th>
              </tr>
            </thead>
            <tbody>
              {dryRun.examples.map((example) => (
                <tr key={example.messageId} data-message-id={example.messageId}>
                  <th scope="row">
                    <code>{example.messageId}</code>
                  </th>
                  <td>{example.event ?? example.pagePath ?? example.type}</td>
                  <td>
                    {stageLabel(example.from)} → {stageLabel(example.to)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </div>
  );
}
