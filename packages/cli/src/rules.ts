import { ProblemError } from '@waymark/http';
import { parseStageRuleset } from '@waymark/journey';
import { putRuleset } from '@waymark/query';
import type { StartEnv } from './env.ts';
import { readJsonFile } from './json-file.ts';
import { openClickHouse } from './start.ts';
import { UsageError } from './usage-error.ts';

/** `waymark rules validate|apply FILE`: returns the exit code (1 when the ruleset is invalid). */
export async function rulesCommand(
  subcommand: string | undefined,
  files: string[],
  projectId: string | undefined,
  env: StartEnv,
  print: (line: string) => void,
): Promise<number> {
  if ((subcommand !== 'validate' && subcommand !== 'apply') || files.length !== 1) {
    throw new UsageError('usage: waymark rules validate FILE | waymark rules apply FILE --project ID');
  }
  const [file] = files as [string];
  const input = await readJsonFile(file);
  const parsed = parseStageRuleset(input);
  if (!parsed.ok) {
    print(`${file}: invalid stage ruleset`);
    for (const issue of parsed.issues) print(`  ${issue.path || '(ruleset)'}: ${issue.message}`);
    return 1;
  }
  const { version, rules, complaintRules } = parsed.value;
  if (subcommand === 'validate') {
    print(
      `${file}: valid (version ${version}, ${rules.length} stage rules, ${complaintRules.length} complaint rules)`,
    );
    return 0;
  }
  if (!projectId) throw new UsageError('rules apply needs --project ID');
  const clickhouse = await openClickHouse(env);
  try {
    const saved = await putRuleset(clickhouse, projectId, input);
    print(`${projectId}: stage ruleset version ${saved.version} saved; new touchpoints are staged with it`);
    return 0;
  } catch (error) {
    if (error instanceof ProblemError) {
      print(`${projectId}: ${error.detail ?? error.title}`);
      return 1;
    }
    throw error;
  } finally {
    await clickhouse.close();
  }
}
