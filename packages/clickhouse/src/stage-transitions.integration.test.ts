import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { type StageTransition, touchpointOf } from '@waymark/events';
import { projectKey, rawKeyOf } from '@waymark/journey';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import { type IdentityLink, insertIdentityLinks } from './identities.ts';
import { runMigrations } from './migrations.ts';
import { insertStageTransitions, lookupCustomerStages } from './stage-transitions.ts';
import { insertTouchpoints, type StoredTouchpoint } from './touchpoints.ts';

let client: ClickHouseClient;
let dataDir: string;
const T0 = Date.parse('2026-11-02T10:00:00Z');
/** The project of the tests' touchpoints and links: one per way of looking up, so their stores never mix. */
let project = 'transitions';

function tp(fields: {
  messageId: string;
  anonymousId?: string;
  userId?: string;
  at: number;
  stage: number;
  projectId?: string;
}): StoredTouchpoint {
  const ids = { anonymousId: fields.anonymousId ?? null, userId: fields.userId ?? null };
  return {
    touchpoint: touchpointOf({
      messageId: fields.messageId,
      projectId: fields.projectId ?? project,
      type: 'track',
      ...ids,
      timestamp: fields.at,
      receivedAt: fields.at,
    }),
    rawKey: rawKeyOf(ids),
    stage: fields.stage,
    complaint: false,
    revenue: 0,
    currency: '',
    rulesetVersion: 1,
    channel: '',
  };
}

const link = (aliasKey: string, customerKey: string, linkedAt: number): IdentityLink => ({
  projectId: project,
  aliasKey,
  customerKey,
  linkedAt,
  messageId: `link-${aliasKey}-${linkedAt}`,
});

/**
 * Stores a batch's links, looks the batch up and stores its touchpoints, in the processor's order; or, for a
 * redelivered batch whose touchpoints are stored already, stores them first.
 */
let storedFirst = false;
async function processBatch(batch: StoredTouchpoint[], links: IdentityLink[] = []) {
  await insertIdentityLinks(client, links);
  if (storedFirst) await insertTouchpoints(client, batch);
  const stages = await lookupCustomerStages(client, batch);
  if (!storedFirst) await insertTouchpoints(client, batch);
  const projectId = project;
  return (rawKey: string) => stages.get(projectKey(projectId, rawKey));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'waymark-transitions-'));
  client = await createClickHouse({ dataDir });
  await runMigrations(client);
});

afterAll(async () => {
  await client?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe.each([
  ['before the batch is stored, as the processor does', false],
  ['after the batch is stored (a redelivered batch)', true],
])('lookupCustomerStages %s', (_, stored) => {
  beforeAll(() => {
    storedFirst = stored;
    project = stored ? 'transitions-redelivered' : 'transitions';
  });

  it("finds the customer's latest staged touchpoint before the batch; unstaged ones do not count", async () => {
    await insertTouchpoints(client, [
      tp({ messageId: 'h1', anonymousId: 'ann', at: T0, stage: 1 }),
      tp({ messageId: 'h2', anonymousId: 'ann', at: T0 + 1000, stage: 3 }),
      tp({ messageId: 'h3', anonymousId: 'ann', at: T0 + 2000, stage: 0 }),
      // Stored earlier but later in event time than the batch: not the previous stage.
      tp({ messageId: 'h4', anonymousId: 'ann', at: T0 + 9000, stage: 7 }),
      // Same raw key in another project.
      tp({ messageId: 'h5', anonymousId: 'ann', at: T0 + 1500, stage: 6, projectId: 'other' }),
    ]);
    const found = await processBatch([
      tp({ messageId: 'b2', anonymousId: 'ann', at: T0 + 6000, stage: 2 }),
      tp({ messageId: 'b1', anonymousId: 'ann', at: T0 + 5000, stage: 4 }),
      tp({ messageId: 'b3', anonymousId: 'new', at: T0 + 5000, stage: 1 }),
      tp({ messageId: 'b4', anonymousId: 'unstaged', at: T0 + 5000, stage: 0 }),
    ]);
    expect(found('a:ann')).toEqual({ customerKey: 'a:ann', previousStage: 3 });
    expect(found('a:new')).toEqual({ customerKey: 'a:new', previousStage: 0 });
    expect(found('a:unstaged')).toBeUndefined();
  });

  it('breaks timestamp ties by messageId, as the walk does', async () => {
    await insertTouchpoints(client, [
      tp({ messageId: 'tie-a', anonymousId: 'tie', at: T0, stage: 2 }),
      tp({ messageId: 'tie-c', anonymousId: 'tie', at: T0, stage: 5 }),
    ]);
    const found = await processBatch([tp({ messageId: 'tie-b', anonymousId: 'tie', at: T0, stage: 4 })]);
    expect(found('a:tie')).toEqual({ customerKey: 'a:tie', previousStage: 2 });
  });

  it("resolves through links of the same batch and counts every raw key's history of the customer", async () => {
    await insertTouchpoints(client, [
      tp({ messageId: 'l1', anonymousId: 'laptop', at: T0, stage: 1 }),
      tp({ messageId: 'p1', anonymousId: 'phone', at: T0 + 1000, stage: 3 }),
      tp({ messageId: 'u0', userId: 'bea', at: T0 - 1000, stage: 2 }),
    ]);
    await insertIdentityLinks(client, [link('a:laptop', 'u:bea', T0 + 1500)]);
    const found = await processBatch(
      [
        tp({ messageId: 'i2', anonymousId: 'phone', userId: 'bea', at: T0 + 2000, stage: 0 }),
        tp({ messageId: 'o1', userId: 'bea', at: T0 + 3000, stage: 5 }),
        tp({ messageId: 'p2', anonymousId: 'phone', at: T0 + 4000, stage: 6 }),
      ],
      [link('a:phone', 'u:bea', T0 + 2000)],
    );
    expect(found('u:bea')).toEqual({ customerKey: 'u:bea', previousStage: 3 });
    expect(found('a:phone')).toEqual({ customerKey: 'u:bea', previousStage: 3 });
  });

  it('follows the latest link of an alias: a relinked anonymous history leaves the first customer', async () => {
    await insertTouchpoints(client, [
      tp({ messageId: 'r1', anonymousId: 'shared', at: T0, stage: 4 }),
      tp({ messageId: 'r2', userId: 'cid', at: T0 - 5000, stage: 1 }),
    ]);
    await insertIdentityLinks(client, [
      link('a:shared', 'u:cid', T0 + 1000),
      link('a:shared', 'u:dan', T0 + 2000),
    ]);
    const found = await processBatch([
      tp({ messageId: 'r3', userId: 'cid', at: T0 + 3000, stage: 2 }),
      tp({ messageId: 'r4', userId: 'dan', at: T0 + 3000, stage: 5 }),
    ]);
    expect(found('u:cid')).toEqual({ customerKey: 'u:cid', previousStage: 1 });
    expect(found('u:dan')).toEqual({ customerKey: 'u:dan', previousStage: 4 });
  });

  it('answers nothing for a batch without staged touchpoints', async () => {
    const unstaged = [tp({ messageId: 'n1', anonymousId: 'idle', at: T0, stage: 0 })];
    expect((await lookupCustomerStages(client, unstaged)).size).toBe(0);
  });
});

describe('insertStageTransitions', () => {
  it('collapses a re-inserted transition, keeping the newest computation', async () => {
    const transition: StageTransition = {
      projectId: 'collapse',
      customerKey: 'a:eve',
      fromStage: 0,
      toStage: 1,
      at: T0,
      messageId: 'e1',
      rawKey: 'a:eve',
      rulesetVersion: 1,
    };
    await insertStageTransitions(client, [transition], T0 + 1);
    // A replay after eve identified: the same touchpoint, now under her user key.
    await insertStageTransitions(client, [{ ...transition, customerKey: 'u:eve' }], T0 + 2);
    const result = await client.query({
      query: `SELECT customer_key, from_stage, to_stage, toUnixTimestamp64Milli(at) AS at, message_id
        FROM stage_transitions FINAL WHERE project_id = 'collapse'`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      { customer_key: 'u:eve', from_stage: 0, to_stage: 1, at: String(T0), message_id: 'e1' },
    ]);
  });
});
