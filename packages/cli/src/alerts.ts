import { parseAlertRule } from '@waymark/journey';
import type { Credentials } from './credentials.ts';
import { readJsonFile } from './json-file.ts';
import { UsageError } from './usage-error.ts';

/*
 * `waymark alerts list | apply FILE | backtest FILE --from --to`: the query API of a running Waymark
 * (`waymark start` writes the URL and the demo project's API key to `$WAYMARK_HOME/credentials.json`). A FILE holds one rule
 * or an array of rules; a rule with an `id` replaces that rule, one without creates a new one.
 */

async function readRules(path: string): Promise<Array<Record<string, unknown>>> {
  const json = await readJsonFile(path);
  const rules = Array.isArray(json) ? json : [json];
  if (!rules.every((r) => typeof r === 'object' && r !== null && !Array.isArray(r))) {
    throw new UsageError(`${path} must hold an alert rule object or an array of them`);
  }
  return rules as Array<Record<string, unknown>>;
}

async function api(
  credentials: Credentials,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(
    new URL(`/v1/projects/${encodeURIComponent(credentials.projectId)}${path}`, credentials.queryUrl),
    {
      method,
      headers: {
        authorization: `Bearer ${credentials.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
  );
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

function printProblem(
  print: (line: string) => void,
  what: string,
  answer: { body: Record<string, unknown> },
) {
  const errors = answer.body.errors as Array<{ field: string; message: string }> | undefined;
  print(`${what}: ${String(answer.body.title ?? 'refused')}`);
  for (const e of errors ?? [{ field: '', message: String(answer.body.detail ?? '') }]) {
    print(`  ${e.field || '(rule)'}: ${e.message}`);
  }
}

const isoFlag = (name: string, value: string | undefined): string => {
  if (value === undefined || Number.isNaN(Date.parse(value))) {
    throw new UsageError(`--${name} is required: an ISO-8601 date or date-time (2026-03-01T00:00:00Z)`);
  }
  return value;
};

export async function alertsCommand(
  subcommand: string | undefined,
  files: string[],
  flags: { from?: string | undefined; to?: string | undefined },
  credentials: Credentials,
  print: (line: string) => void,
): Promise<number> {
  if (subcommand === 'list' && files.length === 0) {
    const answer = await api(credentials, 'GET', '/alert-rules');
    if (answer.status !== 200) {
      printProblem(print, 'list', answer);
      return 1;
    }
    const rules = answer.body.rules as Array<{
      id: string;
      version: number;
      rule: { kind: string; name: string; enabled?: boolean };
      state?: { status: string; incident: number };
    }>;
    if (rules.length === 0) print(`${credentials.projectId}: no alert rules`);
    for (const r of rules) {
      print(
        `${r.id}  v${r.version}  ${r.rule.kind.padEnd(22)} ${(r.state?.status ?? 'ok').padEnd(7)} ${r.rule.name}${r.rule.enabled === false ? ' (disabled)' : ''}`,
      );
    }
    return 0;
  }
  const [file] = files;
  if ((subcommand !== 'apply' && subcommand !== 'backtest') || files.length !== 1 || file === undefined) {
    throw new UsageError(
      'usage: waymark alerts list | waymark alerts apply FILE | waymark alerts backtest FILE --from DATE --to DATE',
    );
  }
  const rules = await readRules(file);
  // Checked here first, so that a file with several rules is refused whole rather than half applied.
  let invalid = false;
  for (const [i, { id: _id, ...rule }] of rules.entries()) {
    const parsed = parseAlertRule(rule);
    if (!parsed.ok) {
      invalid = true;
      print(`${file}${rules.length > 1 ? ` [${i}]` : ''}: invalid alert rule`);
      for (const issue of parsed.issues) print(`  ${issue.path || '(rule)'}: ${issue.message}`);
    }
  }
  if (invalid) return 1;

  if (subcommand === 'backtest') {
    const from = isoFlag('from', flags.from);
    const to = isoFlag('to', flags.to);
    let code = 0;
    for (const { id: _id, ...rule } of rules) {
      const answer = await api(credentials, 'POST', '/alert-rules/backtest', { rule, from, to });
      if (answer.status !== 200) {
        printProblem(print, String(rule.name), answer);
        code = 1;
        continue;
      }
      const b = answer.body as {
        evaluations: number;
        breaches: number;
        insufficient: number;
        incidents: Array<{ firedAt: string; resolvedAt: string | null; severity: string; summary: string }>;
      };
      print(
        `${String(rule.name)}: ${b.evaluations} evaluations, ${b.breaches} breaches, ${b.insufficient} with too little data, ${b.incidents.length} incidents`,
      );
      for (const i of b.incidents) {
        print(`  ${i.firedAt} → ${i.resolvedAt ?? 'still firing'}  [${i.severity}] ${i.summary}`);
      }
    }
    return code;
  }

  let code = 0;
  for (const { id, ...rule } of rules) {
    const answer =
      typeof id === 'string'
        ? await api(credentials, 'PUT', `/alert-rules/${encodeURIComponent(id)}`, rule)
        : await api(credentials, 'POST', '/alert-rules', rule);
    if (answer.status === 200 || answer.status === 201) {
      print(
        `${String(answer.body.id)}: ${answer.status === 201 ? 'created' : `saved as version ${String(answer.body.version)}`} (${String(rule.name)})`,
      );
    } else {
      printProblem(print, String(rule.name), answer);
      code = 1;
    }
  }
  return code;
}
