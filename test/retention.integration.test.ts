import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  storedMessageIds,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';

/*
 * Per-project touchpoint retention on the real engine (0015_touchpoint_retention.sql): touchpoints sent through
 * the collector at known ages, a retention set through the API, the TTL forced, and what is left compared with
 * what the ages say should be.
 */

const stack = usePipeline();
const DAY = 86_400_000;
// Ages in days, each a day or more away from the retentions used (30 and 7) so the test's own run time moves
// nothing across a limit.
const AGES = [0.5, 3, 12, 25, 35, 60, 200, 500];
let kept: TestProject;
let other: TestProject;

const sent = new Map<string, Array<{ messageId: string; ageDays: number }>>();

/** Sends touchpoints at these ages; resolves once those the retention keeps are stored (the others may be dropped at insert). */
async function sendAtAges(
  project: TestProject,
  ages: readonly number[],
  days: number | null = null,
): Promise<void> {
  const now = Date.now();
  const events = ages.map((ageDays) => ({ messageId: `m-${randomUUID()}`, ageDays }));
  sent.set(project.projectId, [...(sent.get(project.projectId) ?? []), ...events]);
  const answer = await postBatch(stack.collectorUrl, project.writeKey, {
    batch: events.map((e) => ({
      type: 'track',
      event: 'Viewed',
      anonymousId: `a-${e.messageId}`,
      messageId: e.messageId,
      timestamp: new Date(now - e.ageDays * DAY).toISOString(),
    })),
  });
  expect(answer.status).toBe(200);
  const kept = events.filter((e) => days === null || e.ageDays < days).map((e) => e.messageId);
  await eventually(async () =>
    expect(await storedMessageIds(stack.clickhouse, project.projectId)).toEqual(expect.arrayContaining(kept)),
  );
}

/** What the definition keeps: touchpoints younger than `days` (all of them without a retention). */
const youngerThan = (project: TestProject, days: number | null) =>
  (sent.get(project.projectId) ?? [])
    .filter((e) => days === null || e.ageDays < days)
    .map((e) => e.messageId)
    .sort();

/** Waits for the queued mutations (the retention's rewrite and MATERIALIZE TTL), then merges what is left. */
async function forceTtl(): Promise<void> {
  await eventually(
    async () => {
      const result = await stack.clickhouse.query({
        query: "SELECT count() AS pending FROM system.mutations WHERE table = 'touchpoints' AND is_done = 0",
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ pending: string | number }>();
      expect(Number(row?.pending)).toBe(0);
    },
    { timeoutMs: 60_000 },
  );
  await stack.clickhouse.command({ query: 'OPTIMIZE TABLE touchpoints FINAL' });
}

beforeAll(async () => {
  kept = await createTestProject(stack.clickhouse, 'retention');
  other = await createTestProject(stack.clickhouse, 'untouched');
  await sendAtAges(kept, AGES);
  await sendAtAges(other, AGES);
});

describe('touchpoint retention', () => {
  it('keeps touchpoints forever by default', async () => {
    const answer = await queryApi(stack.queryUrl, kept, 'GET', '/data-retention');
    expect(answer).toEqual({ status: 200, body: { touchpointDays: null } });
  });

  it('deletes the stored touchpoints older than the retention, keeps the young ones and other projects', async () => {
    const put = await queryApi(stack.queryUrl, kept, 'PUT', '/data-retention', {
      body: { touchpointDays: 30 },
    });
    expect(put).toEqual({ status: 200, body: { touchpointDays: 30 } });
    expect(await queryApi(stack.queryUrl, kept, 'GET', '/data-retention')).toEqual({
      status: 200,
      body: { touchpointDays: 30 },
    });
    await forceTtl();
    const left = await storedMessageIds(stack.clickhouse, kept.projectId);
    expect(left).toEqual(youngerThan(kept, 30));
    expect(left.length).toBeGreaterThan(0);
    expect(left.length).toBeLessThan(AGES.length);
    expect(await storedMessageIds(stack.clickhouse, other.projectId)).toEqual(youngerThan(other, null));
  });

  it('gives touchpoints stored after the setting their expiry at insert', async () => {
    await sendAtAges(kept, [1, 40, 90], 30);
    // No retention mutation this time: only the merge's TTL.
    await stack.clickhouse.command({ query: 'OPTIMIZE TABLE touchpoints FINAL' });
    expect(await storedMessageIds(stack.clickhouse, kept.projectId)).toEqual(youngerThan(kept, 30));
  });

  it('shortens and lifts the retention', async () => {
    await queryApi(stack.queryUrl, kept, 'PUT', '/data-retention', { body: { touchpointDays: 7 } });
    await forceTtl();
    expect(await storedMessageIds(stack.clickhouse, kept.projectId)).toEqual(youngerThan(kept, 7));
    await queryApi(stack.queryUrl, kept, 'PUT', '/data-retention', { body: { touchpointDays: null } });
    await forceTtl();
    // Lifted: what is left stays, and old touchpoints sent now are kept.
    await sendAtAges(kept, [400]);
    await stack.clickhouse.command({ query: 'OPTIMIZE TABLE touchpoints FINAL' });
    const left = await storedMessageIds(stack.clickhouse, kept.projectId);
    expect(left).toHaveLength(youngerThan(kept, 7).length + 1);
    expect(await storedMessageIds(stack.clickhouse, other.projectId)).toEqual(youngerThan(other, null));
  });

  it.each([
    ['zero', { touchpointDays: 0 }, 'touchpointDays'],
    ['negative', { touchpointDays: -5 }, 'touchpointDays'],
    ['a fraction', { touchpointDays: 1.5 }, 'touchpointDays'],
    ['a string', { touchpointDays: '30' }, 'touchpointDays'],
    ['huge', { touchpointDays: 1e300 }, 'touchpointDays'],
    ['past 100 years', { touchpointDays: 36_501 }, 'touchpointDays'],
    ['missing', {}, 'touchpointDays'],
    ['an object', { touchpointDays: { $gt: 0 } }, 'touchpointDays'],
    ['SQL', { touchpointDays: '30; DROP TABLE touchpoints' }, 'touchpointDays'],
    ['an unknown field of 100 KB', { touchpointDays: 30, ['x'.repeat(100)]: 'y'.repeat(100_000) }, ''],
  ])('refuses %s with a 400 naming the field', async (_name, body, field) => {
    const answer = await queryApi<{ code: string; errors: Array<{ field: string }> }>(
      stack.queryUrl,
      kept,
      'PUT',
      '/data-retention',
      { body },
    );
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('INVALID_REQUEST');
    expect(new Set(answer.body.errors.map((e) => e.field))).toEqual(new Set([field]));
  });

  it('refuses a body that is not JSON', async () => {
    const answer = await queryApi<{ code: string }>(stack.queryUrl, kept, 'PUT', '/data-retention', {
      body: '{"touchpointDays": 3',
    });
    expect(answer.status).toBe(400);
  });
});
