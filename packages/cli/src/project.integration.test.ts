import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.ts';

// The real embedded ClickHouse engine in a temporary WAYMARK_HOME.
describe('waymark migrate and project create', () => {
  it('creates a project with fresh keys in the embedded store, and refuses a duplicate', async () => {
    const home = await mkdtemp(join(tmpdir(), 'waymark-project-'));
    const lines: string[] = [];
    const print = (line: string) => lines.push(line);
    expect(await runCli(['migrate'], { WAYMARK_HOME: home }, print)).toBe(0);
    expect(
      await runCli(
        ['project', 'create', '--id', 'shop', '--origin', 'https://shop.example'],
        { WAYMARK_HOME: home },
        print,
      ),
    ).toBe(0);
    expect(lines[0]).toMatch(/migrations: \d+ applied, 0 already applied/);
    const created = JSON.parse(lines[1] ?? '{}');
    expect(created).toMatchObject({ projectId: 'shop' });
    expect(created.writeKey).toMatch(/^wk_/);
    expect(created.apiKey).toMatch(/^sk_/);
    const rules = join(home, 'rules.json');
    await writeFile(
      rules,
      JSON.stringify({ version: 2, rules: [{ stage: 'purchase', match: { event: 'Deal Won' } }] }),
    );
    expect(await runCli(['rules', 'apply', rules, '--project', 'shop'], { WAYMARK_HOME: home }, print)).toBe(
      0,
    );
    expect(lines.at(-1)).toMatch(/version 2 saved/);
    expect(await runCli(['rules', 'apply', rules, '--project', 'shop'], { WAYMARK_HOME: home }, print)).toBe(
      1,
    );
    expect(lines.at(-1)).toMatch(/send version 3/);
    await expect(runCli(['project', 'create', '--id', 'shop'], { WAYMARK_HOME: home })).rejects.toThrow(
      /already exists/,
    );
  });
});
