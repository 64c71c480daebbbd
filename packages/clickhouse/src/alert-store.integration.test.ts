import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { INITIAL_ALERT_STATE } from '@waymark/journey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AlertDelivery,
  dueAlertDeliveries,
  getAlertRule,
  insertAlertEvent,
  listAlertEvents,
  listAlertRules,
  readAlertStates,
  saveAlertRule,
  writeAlertDeliveries,
  writeAlertState,
} from './alert-store.ts';
import { createClickHouse } from './client.ts';
import { runMigrations } from './migrations.ts';
import { WebhookSecretBox } from './webhook-secrets.ts';

let dir: string;
let client: ClickHouseClient;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waymark-alert-store-'));
  client = await createClickHouse({ dataDir: dir });
  await runMigrations(client);
});
afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

const rule = { kind: 'churn_risk', name: 'churn' } as const;
const secrets = new WebhookSecretBox(Buffer.alloc(32, 9));

describe('alert store', () => {
  it('keeps the latest rule version and hides deleted rules', async () => {
    await saveAlertRule(client, secrets, { projectId: 'p1', id: 'ar_a', version: 1, input: rule });
    await saveAlertRule(client, secrets, {
      projectId: 'p1',
      id: 'ar_a',
      version: 2,
      input: { ...rule, name: 'churn 2' },
    });
    await saveAlertRule(client, secrets, { projectId: 'p1', id: 'ar_b', version: 1, input: rule });
    await saveAlertRule(client, secrets, {
      projectId: 'p1',
      id: 'ar_b',
      version: 2,
      input: rule,
      deleted: true,
    });
    expect((await listAlertRules(client, secrets, 'p1')).map((r) => [r.id, r.version, r.input.name])).toEqual(
      [['ar_a', 2, 'churn 2']],
    );
    expect(await getAlertRule(client, secrets, 'p1', 'ar_b')).toBeUndefined();
  });

  it('stores webhook secrets encrypted and reads them back, and reads a secret stored before in plain text', async () => {
    const secret = 'whsec_stored_at_rest_0123';
    const notify = [{ type: 'webhook' as const, url: 'https://hooks.example/a', secret }];
    await saveAlertRule(client, secrets, {
      projectId: 'p2',
      id: 'ar_s',
      version: 1,
      input: { ...rule, notify },
    });
    const raw = await client.query({
      query: "SELECT rule FROM alert_rules WHERE project_id = 'p2' AND rule_id = 'ar_s'",
      format: 'JSONEachRow',
    });
    const [stored] = await raw.json<{ rule: string }>();
    expect(stored?.rule).not.toContain(secret);
    expect(stored?.rule).toContain('wmsec:v1:');
    const read = await getAlertRule(client, secrets, 'p2', 'ar_s');
    expect(read?.input.notify?.[0]?.secret).toBe(secret);
    expect(JSON.parse(read?.document ?? '{}').notify[0].secret).toBe(secret);
    // A row written before encryption (as 0009's rows are): read as it is.
    await client.insert({
      table: 'alert_rules',
      format: 'JSONEachRow',
      values: [
        {
          project_id: 'p2',
          rule_id: 'ar_plain',
          version: 1,
          rule: JSON.stringify({ ...rule, notify }),
          deleted: 0,
          updated_at: '2026-01-01 00:00:00.000',
        },
      ],
    });
    expect((await getAlertRule(client, secrets, 'p2', 'ar_plain'))?.input.notify?.[0]?.secret).toBe(secret);
    // Another key cannot read them.
    await expect(
      listAlertRules(client, new WebhookSecretBox(Buffer.alloc(32, 1)), 'p2'),
    ).rejects.toMatchObject({
      code: 'CLICKHOUSE_SECRET_UNREADABLE',
    });
  });

  it('reads the state of the latest slot', async () => {
    await writeAlertState(
      client,
      { projectId: 'p1', id: 'ar_a' },
      { ...INITIAL_ALERT_STATE, lastWindowEndMs: 2000, incident: 2 },
    );
    await writeAlertState(
      client,
      { projectId: 'p1', id: 'ar_a' },
      { ...INITIAL_ALERT_STATE, lastWindowEndMs: 1000, incident: 1 },
    );
    const states = await readAlertStates(client, [
      { projectId: 'p1', id: 'ar_a' },
      { projectId: 'p1', id: 'ar_x' },
    ]);
    expect([...states.values()].map((s) => s.incident)).toEqual([2]);
  });

  it('orders delivery steps so a repeated first step never undoes a delivery', async () => {
    const event = {
      projectId: 'p1',
      ruleId: 'ar_a',
      eventId: 'ar_a.1.firing',
      type: 'firing',
      incident: 1,
      severity: 'warning',
      windowStartMs: 0,
      windowEndMs: 1000,
      summary: 'it broke',
      payload: { id: 'ar_a.1.firing' },
      snoozed: false,
      createdAtMs: 5000,
    } as const;
    await insertAlertEvent(client, event);
    await insertAlertEvent(client, event);
    const pending: AlertDelivery = {
      projectId: 'p1',
      ruleId: 'ar_a',
      eventId: event.eventId,
      url: 'http://hook',
      format: 'json',
      status: 'pending',
      attempts: 0,
      nextAttemptAtMs: 5000,
      lastError: '',
    };
    await writeAlertDeliveries(client, [pending]);
    expect((await dueAlertDeliveries(client, 5000)).map((d) => [d.eventId, d.attempts, d.payload])).toEqual([
      [event.eventId, 0, { id: event.eventId }],
    ]);
    await writeAlertDeliveries(client, [
      { ...pending, attempts: 1, nextAttemptAtMs: 9000, lastError: 'HTTP 503' },
    ]);
    expect(await dueAlertDeliveries(client, 5000)).toEqual([]);
    await writeAlertDeliveries(client, [{ ...pending, status: 'delivered', attempts: 2 }]);
    await writeAlertDeliveries(client, [pending]); // a repeated evaluation re-inserts the first step
    expect(await dueAlertDeliveries(client, 99_999)).toEqual([]);
    const [history] = await listAlertEvents(client, { projectId: 'p1', limit: 10 });
    expect(history).toMatchObject({
      eventId: event.eventId,
      summary: 'it broke',
      deliveries: [{ url: 'http://hook', status: 'delivered', attempts: 2 }],
    });
  });
});
