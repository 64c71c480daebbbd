import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, UsageError } from './cli.ts';

async function file(content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'waymark-rules-'));
  const path = join(dir, 'rules.json');
  await writeFile(path, content);
  return path;
}

async function run(args: string[]) {
  const lines: string[] = [];
  const code = await runCli(args, {}, (line) => lines.push(line));
  return { code, output: lines.join('\n') };
}

describe('waymark rules validate', () => {
  it('accepts the shipped default ruleset', async () => {
    const { code, output } = await run([
      'rules',
      'validate',
      join(import.meta.dirname, '../../../schemas/stage-rules.default.json'),
    ]);
    expect(code).toBe(0);
    expect(output).toMatch(/valid \(version 1, \d+ stage rules, \d+ complaint rules\)/);
  });

  it('lists every problem by rule and field, and exits 1', async () => {
    const path = await file(
      JSON.stringify({
        version: 2,
        rules: [
          { stage: 'buying', match: {} },
          { stage: 3, match: { pagePath: 'x' } },
        ],
      }),
    );
    const { code, output } = await run(['rules', 'validate', path]);
    expect(code).toBe(1);
    expect(output).toMatch(/rules\[0\]\.stage/);
    expect(output).toMatch(/rules\[1\]\.match\.pagePath\[0\]/);
  });

  it('refuses unreadable, malformed and oversized files with a clear message', async () => {
    await expect(run(['rules', 'validate', '/nonexistent/rules.json'])).rejects.toThrow(
      /cannot read .*ENOENT/,
    );
    await expect(run(['rules', 'validate', await file('{ "version": 2,')])).rejects.toThrow(/not valid JSON/);
    await expect(run(['rules', 'validate', await file(`"${'x'.repeat(1024 * 1024 + 1)}"`)])).rejects.toThrow(
      /larger than 1 MB/,
    );
    const deep = await file(`${'{"all":['.repeat(200)}${']}'.repeat(200)}`);
    const { code } = await run(['rules', 'validate', deep]);
    expect(code).toBe(1);
  });

  it('checks its arguments', async () => {
    await expect(run(['rules', 'validate'])).rejects.toThrow(UsageError);
    await expect(run(['rules', 'lint', 'x.json'])).rejects.toThrow(UsageError);
    await expect(
      run(['rules', 'apply', await file(JSON.stringify({ version: 2, rules: [] }))]),
    ).rejects.toThrow(/--project/);
  });
});
