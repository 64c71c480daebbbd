import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, UsageError } from './cli.ts';
import { readCredentials } from './credentials.ts';

describe('waymark CLI arguments', () => {
  it('refuses unknown commands and flags with a usage error', async () => {
    await expect(runCli(['launch'], {})).rejects.toThrow(UsageError);
    await expect(runCli(['start', '--bogus'], {})).rejects.toThrow(/Unknown option '--bogus'/);
    await expect(runCli(['start', 'extra'], {})).rejects.toThrow(UsageError);
  });
  it('checks --customers', async () => {
    await expect(runCli(['start', '--customers', '10'], {})).rejects.toThrow(/only goes with --demo/);
    for (const bad of ['0', '-3', 'many', '1e9', '2.5']) {
      await expect(runCli(['demo', '--customers', bad], { WAYMARK_HOME: tmpdir() })).rejects.toThrow(
        /--customers/,
      );
    }
  });
  it('explains what to do when demo runs before start', async () => {
    const home = await mkdtemp(join(tmpdir(), 'waymark-cli-'));
    await expect(runCli(['demo'], { WAYMARK_HOME: home })).rejects.toThrow(/run `waymark start` first/);
  });
  it('reports bad configuration by variable name', async () => {
    await expect(runCli(['start'], { COLLECTOR_PORT: 'eighty' })).rejects.toThrow(/COLLECTOR_PORT/);
    await expect(runCli(['start'], { CLICKHOUSE_URL: 'not a url' })).rejects.toThrow(/CLICKHOUSE_URL/);
  });
});

describe('credentials file', () => {
  it('is refused with a clear message when it is not JSON or not credentials', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'waymark-cred-'));
    const path = join(dir, 'credentials.json');
    await writeFile(path, '{ not json');
    await expect(readCredentials(path)).rejects.toThrow(/not valid JSON; fix it or delete it/);
    await writeFile(path, JSON.stringify({ projectId: 'demo', writeKey: 42 }));
    await expect(readCredentials(path)).rejects.toThrow(/not a Waymark credentials file/);
  });
  it('reads as absent when missing', async () => {
    expect(await readCredentials(join(tmpdir(), 'does-not-exist', 'credentials.json'))).toBeUndefined();
  });
});

describe('waymark project create flags', () => {
  it('validates project flags', async () => {
    await expect(runCli(['project', 'create'], {})).rejects.toThrow(/--id is required/);
    await expect(runCli(['project', 'create', '--id', 'a b'], {})).rejects.toThrow(/--id is required/);
    await expect(
      runCli(['project', 'create', '--id', 'ok', '--origin', 'javascript:alert(1)'], {}),
    ).rejects.toThrow(/--origin/);
    await expect(runCli(['project', 'delete'], {})).rejects.toThrow(UsageError);
  });
});
