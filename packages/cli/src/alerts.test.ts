import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertsCommand } from './alerts.ts';
import { runCli } from './cli.ts';

const credentials = {
  projectId: 'demo',
  writeKey: 'wk_x',
  apiKey: 'sk_x',
  collectorUrl: 'http://127.0.0.1:1',
  queryUrl: 'http://127.0.0.1:1',
};

describe('waymark alerts', () => {
  it('needs a running waymark start', async () => {
    const home = await mkdtemp(join(tmpdir(), 'waymark-alerts-'));
    await expect(runCli(['alerts', 'list'], { WAYMARK_HOME: home })).rejects.toThrow(
      /run `waymark start` first/,
    );
  });
  it('refuses an invalid rule file by rule and field before calling the API', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'waymark-alerts-'));
    const file = join(dir, 'rules.json');
    await writeFile(
      file,
      JSON.stringify([
        { kind: 'stage_conversion_drop', name: 'ok', from: 'selection', to: 'purchase' },
        { kind: 'stage_conversion_drop', name: 'bad', from: 'selection', to: 'purchase', window: '10s' },
        { kind: 'stage_conversion_drop', name: 'backwards', from: 'purchase', to: 'selection' },
      ]),
    );
    const lines: string[] = [];
    expect(await alertsCommand('apply', [file], {}, credentials, (l) => lines.push(l))).toBe(1);
    expect(lines).toEqual([
      `${file} [1]: invalid alert rule`,
      expect.stringMatching(/^ {2}window: expected <n>m/),
      `${file} [2]: invalid alert rule`,
      '  to: `to` must be a later stage than `from`',
    ]);
  });
  it('checks its arguments', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'waymark-alerts-'));
    const file = join(dir, 'rule.json');
    await writeFile(file, JSON.stringify({ kind: 'churn_risk', name: 'churn' }));
    await expect(
      alertsCommand('backtest', [file], { from: '2026-01-01' }, credentials, () => {}),
    ).rejects.toThrow(/--to is required/);
    await expect(alertsCommand('remove', [file], {}, credentials, () => {})).rejects.toThrow(
      /usage: waymark alerts/,
    );
    await writeFile(file, '{ nope');
    await expect(alertsCommand('apply', [file], {}, credentials, () => {})).rejects.toThrow(/not valid JSON/);
  });
});
