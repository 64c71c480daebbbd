import type { listAlertRules, listAlerts, RouteResponse } from '@waymark/api-contract';
import { KINDS } from './alert-form.ts';
import { useRoute } from './api.ts';
import { formatInstant, formatPercent } from './format.ts';
import { Link } from './router.tsx';
import { Loading, ProblemView, TableScroll } from './ui.tsx';

type RuleAnswer = RouteResponse<typeof listAlertRules>['rules'][number];
type AlertEvent = RouteResponse<typeof listAlerts>['alerts'][number];

/** ok (never fired), firing, or resolved (ok again after an incident); "not evaluated yet" before the first slot. */
export function ruleStatus(answer: Pick<RuleAnswer, 'state'>): string {
  if (answer.state === undefined) return 'not evaluated yet';
  if (answer.state.status === 'firing') return 'firing';
  return answer.state.incident > 0 ? 'resolved' : 'ok';
}

/** The snooze end while it lasts, else null. */
export function snoozedUntil(rule: RuleAnswer['rule'], now = Date.now()): string | null {
  return rule.snoozedUntil && Date.parse(rule.snoozedUntil) > now ? rule.snoozedUntil : null;
}

const HISTORY_LIMIT = 100;

/** Alerts: every rule with its state, and the incident history with root-cause hints and deliveries. */
export function AlertsScreen() {
  const rules = useRoute<typeof listAlertRules>('/v1/projects/:projectId/alert-rules', new URLSearchParams());
  return (
    <main className="alerts">
      <h1>Alerts</h1>
      <p>
        <Link href="/alerts/new">New rule</Link>
      </p>
      {rules.isPending ? (
        <Loading what="the alert rules" />
      ) : rules.isError ? (
        <ProblemView error={rules.error} />
      ) : rules.data.rules.length === 0 ? (
        <p className="empty">No alert rules yet: create one to be told when a stage stops converting.</p>
      ) : (
        <RulesTable rules={rules.data.rules} />
      )}
      <AlertHistory names={new Map(rules.data?.rules.map((r) => [r.id, r.rule.name]))} />
    </main>
  );
}

function RulesTable({ rules }: { rules: readonly RuleAnswer[] }) {
  return (
    <TableScroll label="Alert rules table">
      <table className="figures alert-rules">
        <caption>Rules and their state after the latest evaluation</caption>
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Kind</th>
            <th scope="col">State</th>
            <th scope="col">Severity</th>
            <th scope="col">Incident</th>
            <th scope="col">Last evaluated</th>
            <th scope="col">Snoozed until</th>
          </tr>
        </thead>
        <tbody>
          {rules.map((answer) => {
            const snooze = snoozedUntil(answer.rule);
            const status = ruleStatus(answer);
            const evaluated = answer.state?.lastEvaluatedWindowEnd ?? null;
            return (
              <tr key={answer.id} data-rule={answer.id}>
                <th scope="row">
                  <Link href={`/alerts/${encodeURIComponent(answer.id)}`}>{answer.rule.name}</Link>
                  {answer.rule.enabled === false && ' (disabled)'}
                </th>
                <td>{KINDS[answer.rule.kind]}</td>
                <td>
                  <span className={`alert-status ${status.replaceAll(' ', '-')}`}>{status}</span>
                </td>
                <td>{answer.state?.severity ?? '—'}</td>
                <td>{answer.state?.incident || '—'}</td>
                <td>{evaluated ? <time dateTime={evaluated}>{formatInstant(evaluated)}</time> : '—'}</td>
                <td>{snooze ? <time dateTime={snooze}>{formatInstant(snooze)}</time> : '—'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </TableScroll>
  );
}

/** The root-cause hint of an incident: the segment values that explain it, worst first. */
export function RootCause({ causes }: { causes: unknown }) {
  const list = Array.isArray(causes) ? (causes as Array<{ value?: unknown; relativeDrop?: unknown }>) : [];
  if (list.length === 0) return <>—</>;
  return (
    <ul className="root-cause">
      {list.map((cause) => (
        <li key={String(cause.value)}>
          {String(cause.value) || '(unknown)'}
          {typeof cause.relativeDrop === 'number' && ` −${formatPercent(cause.relativeDrop)}`}
        </li>
      ))}
    </ul>
  );
}

/** The incident history of the project, or of one rule, newest first. */
export function AlertHistory({ names, ruleId }: { names?: ReadonlyMap<string, string>; ruleId?: string }) {
  const query = new URLSearchParams({ limit: String(HISTORY_LIMIT), ...(ruleId && { ruleId }) });
  const history = useRoute<typeof listAlerts>('/v1/projects/:projectId/alerts', query);
  return (
    <section className="alert-history">
      <h2>Incident history</h2>
      {history.isPending ? (
        <Loading what="the incident history" />
      ) : history.isError ? (
        <ProblemView error={history.error} />
      ) : history.data.alerts.length === 0 ? (
        <p className="empty">No incident has opened yet.</p>
      ) : (
        <TableScroll label="Incident history table">
          <table className="figures alert-events">
            <caption>
              Incidents opened and resolved, newest first (at most {HISTORY_LIMIT}), with each webhook's
              delivery
            </caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                {!ruleId && <th scope="col">Rule</th>}
                <th scope="col">Event</th>
                <th scope="col">Severity</th>
                <th scope="col">Summary</th>
                <th scope="col">Root cause</th>
                <th scope="col">Deliveries</th>
              </tr>
            </thead>
            <tbody>
              {history.data.alerts.map((event) => (
                <HistoryRow
                  key={event.id}
                  event={event}
                  // A deleted rule's history stays: it is shown by its id.
                  rule={ruleId ? undefined : (names?.get(event.ruleId) ?? event.ruleId)}
                />
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}

/** `rule`: the rule's name, for the project-wide history; left out on a rule's own screen. */
function HistoryRow({ event, rule }: { event: AlertEvent; rule: string | undefined }) {
  return (
    <tr data-event={event.id}>
      <th scope="row">
        <time dateTime={event.createdAt}>{formatInstant(event.createdAt)}</time>
      </th>
      {rule !== undefined && (
        <td>
          <Link href={`/alerts/${encodeURIComponent(event.ruleId)}`}>{rule}</Link>
        </td>
      )}
      <td>
        {event.type} #{event.incident}
      </td>
      <td>{event.severity}</td>
      <td className="summary">{event.summary}</td>
      <td>
        <RootCause causes={event.rootCause} />
      </td>
      <td className="deliveries">
        {event.snoozed ? (
          'snoozed: not sent'
        ) : event.deliveries.length === 0 ? (
          'no webhook'
        ) : (
          <ul>
            {event.deliveries.map((d) => (
              <li key={d.url} title={d.lastError || undefined}>
                {new URL(d.url).host}: {d.status}, {d.attempts} {d.attempts === 1 ? 'attempt' : 'attempts'}
              </li>
            ))}
          </ul>
        )}
      </td>
    </tr>
  );
}
