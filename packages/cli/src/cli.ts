import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '@waymark/logger';
import { alertsCommand } from './alerts.ts';
import { readCredentials } from './credentials.ts';
import { runDemo } from './demo.ts';
import { loadStartEnv } from './env.ts';
import { rulesCommand } from './rules.ts';
import { UsageError } from './usage-error.ts';

export { UsageError };

import { projectCommand } from './project-command.ts';
import { migrate, startStack } from './start.ts';

const USAGE = `Usage: waymark <command> [options]

Commands:
  start [--demo] [--customers N]   run collector, processor, query service and alerter on this machine
                                   (local Kafka broker + embedded ClickHouse unless KAFKA_BROKERS /
                                   CLICKHOUSE_URL are set); --demo also sends synthetic shoppers
                                   and prints the stage funnel
  demo [--customers N]             send synthetic shoppers to a running \`waymark start\`
                                   (reads $WAYMARK_HOME/credentials.json) and print the stage funnel
  migrate [--with-topics]          apply the ClickHouse migrations (CLICKHOUSE_URL, else the
                                   embedded engine in $WAYMARK_HOME); --with-topics also creates
                                   the Kafka topics on KAFKA_BROKERS
  project create --id ID [--name NAME] [--origin URL]...
                                   create a project; prints its write key and API key once
  project list                     every project with its write key
  project update --id ID [--name NAME] [--origin URL]...
                                   rename it, or replace its allowed origins
  project rotate-key --id ID --key write|api [--grace 1d]
                                   a new key; the old one works for the grace period (default
                                   1d, at most 30d; 0 ends it now), then is refused
  project revoke-key --id ID --key write|api
                                   every key of that kind stops now; prints the new one
                                   (project commands use the admin API of a running instance:
                                   --url or WAYMARK_ADMIN_URL, else credentials.json's query URL,
                                   with --admin-token or WAYMARK_ADMIN_TOKEN; with none running,
                                   the store directly: CLICKHOUSE_URL, else $WAYMARK_HOME)
  admin-token reset                revoke every admin token and print a new one (only while
                                   none runs)
  rules validate FILE              check a stage ruleset file; lists every problem by rule and field
  rules apply FILE --project ID    save it as the project's next ruleset version (its \`version\`
                                   must be the current one + 1)
  alerts list                      the alert rules of the running \`waymark start\` project, with state
  alerts apply FILE                create (no \`id\`) or replace (\`id\`) the rule(s) in FILE
  alerts backtest FILE --from DATE --to DATE
                                   when the rule(s) in FILE would have fired in that period
  help                             this text

Configuration is read from the environment; see README.md.`;

function customersFlag(value: string | undefined): number {
  if (value === undefined) return 300;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
    throw new UsageError(`--customers must be a whole number from 1 to 1000000, got "${value}"`);
  }
  return n;
}

export { USAGE };

export async function runCli(
  argv: string[],
  processEnv: Record<string, string | undefined>,
  print: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    print(USAGE);
    return command === undefined ? 1 : 0;
  }
  const subcommand =
    command === 'project' || command === 'rules' || command === 'alerts' || command === 'admin-token'
      ? rest.shift()
      : undefined;
  let flags: {
    demo?: boolean;
    'with-topics'?: boolean;
    customers?: string;
    id?: string;
    name?: string;
    origin?: string[];
    project?: string;
    from?: string;
    to?: string;
    key?: string;
    grace?: string;
    url?: string;
    'admin-token'?: string;
  };
  let positionals: string[];
  try {
    ({ values: flags, positionals } = parseArgs({
      args: rest,
      options: {
        demo: { type: 'boolean' },
        'with-topics': { type: 'boolean' },
        customers: { type: 'string' },
        id: { type: 'string' },
        name: { type: 'string' },
        origin: { type: 'string', multiple: true },
        project: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        key: { type: 'string' },
        grace: { type: 'string' },
        url: { type: 'string' },
        'admin-token': { type: 'string' },
      },
      strict: true,
      allowPositionals: command === 'rules' || command === 'alerts',
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const customers = customersFlag(flags.customers);
  const env = loadStartEnv(processEnv);

  if (command === 'demo') {
    const credentials = await readCredentials(join(env.WAYMARK_HOME, 'credentials.json'));
    if (!credentials)
      throw new UsageError(`no ${join(env.WAYMARK_HOME, 'credentials.json')}: run \`waymark start\` first`);
    await runDemo({ ...credentials, customers, print });
    return 0;
  }
  if (command === 'migrate') {
    if (flags['with-topics'] && !env.KAFKA_BROKERS?.length)
      throw new UsageError('--with-topics needs KAFKA_BROKERS');
    const report = await migrate(env, { withTopics: flags['with-topics'] ?? false });
    print(`migrations: ${report.applied.length} applied, ${report.alreadyApplied.length} already applied`);
    return 0;
  }
  if (command === 'project' || command === 'admin-token') {
    return projectCommand(command, subcommand, flags, env, print);
  }
  if (command === 'rules') return rulesCommand(subcommand, positionals, flags.project, env, print);
  if (command === 'alerts') {
    const credentials = await readCredentials(join(env.WAYMARK_HOME, 'credentials.json'));
    if (!credentials)
      throw new UsageError(`no ${join(env.WAYMARK_HOME, 'credentials.json')}: run \`waymark start\` first`);
    return alertsCommand(subcommand, positionals, { from: flags.from, to: flags.to }, credentials, print);
  }
  if (command !== 'start') throw new UsageError(`unknown command "${command}"`);
  if (flags.customers !== undefined && !flags.demo) throw new UsageError('--customers only goes with --demo');

  // The terminal gets the summary and the demo; the JSON log lines go to a file unless asked for.
  const logFile = env.WAYMARK_LOG_FILE ?? join(env.WAYMARK_HOME, 'waymark.log');
  const logger = createLogger({
    name: 'waymark',
    level: env.LOG_LEVEL,
    ...(logFile === '-' ? {} : { file: logFile }),
  });
  const kafkaSource = env.KAFKA_BROKERS?.length
    ? `Kafka at ${env.KAFKA_BROKERS.join(',')}`
    : 'a local Kafka broker';
  const clickhouseSource = env.CLICKHOUSE_URL
    ? `ClickHouse at ${new URL(env.CLICKHOUSE_URL).host}`
    : 'embedded ClickHouse';
  print(`Starting Waymark with ${kafkaSource} and ${clickhouseSource} (data in ${env.WAYMARK_HOME}) …`);
  const stack = await startStack(env, logger, processEnv);
  const { credentials } = stack;
  print('');
  print('Waymark is running.');
  print(`  console    ${stack.signInLink()}`);
  print('             (signs you in once, within 10 minutes; then sign in with the API key below)');
  print(`  collector  ${credentials.collectorUrl}   (POST /v1/batch, Segment-compatible)`);
  print(`  query      ${credentials.queryUrl}   (GET /openapi.json, reference at /docs)`);
  print(
    `  alerter    http://${new URL(credentials.queryUrl).hostname}:${env.ALERTER_PORT}   (rules: /v1/projects/:id/alert-rules)`,
  );
  print(`  project    ${credentials.projectId}`);
  print(`  write key  ${credentials.writeKey}`);
  print(`  API key    ${credentials.apiKey}`);
  if (stack.adminToken !== undefined) {
    print(`  admin      ${stack.adminToken}`);
    print('             (the admin API token: shown this once, stored hashed; see `waymark help`)');
  }
  print(`  saved to   ${join(stack.home, 'credentials.json')}`);
  if (logFile !== '-') print(`  logs       ${logFile}`);
  print('');
  const stop = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await stack.stop();
    logger.info('stopped');
    logger.flush();
    process.exit(0);
  };
  process.once('SIGINT', (s) => void stop(s));
  process.once('SIGTERM', (s) => void stop(s));
  // The processor and the alerter join their groups after the collector listens; if one cannot start,
  // the stack has stopped and so does the command.
  stack.ready.catch((error: unknown) => {
    process.stderr.write(`waymark: ${(error as Error).message}\n`);
    logger.flush();
    process.exit(1);
  });
  if (flags.demo) {
    try {
      await stack.ready;
      await runDemo({ ...credentials, customers, print });
    } catch (error) {
      await stack.stop();
      throw error;
    }
    print('');
    print('Still running: try the API above, or press Ctrl-C to stop.');
  }
  // Keep running until a signal arrives.
  return -1;
}
