import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { touchpointOf } from '@waymark/events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse } from './client.ts';
import { type IdentityLink, insertIdentityLinks } from './identities.ts';
import { runMigrations } from './migrations.ts';
import { queryStageFunnel } from './stage-funnel.query.ts';
import { insertTouchpoints, rawKeyOf, type StoredTouchpoint } from './touchpoints.ts';
import { toNumber } from './values.ts';

/*
 * The stage funnel against numbers computed here, in plain TypeScript, from the same generated data
 * (DESIGN §3, reached mode): never from the SQL under test.
 */

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;
const WINDOW_SECONDS = 30 * 24 * 3600;
const T0 = Date.UTC(2024, 2, 1);

let dir: string;
let client: ClickHouseClient;
let projectSeq = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'waymark-stage-funnel-'));
  client = await createClickHouse({ dataDir: dir });
  await runMigrations(client);
});

afterAll(async () => {
  await client?.close();
  await rm(dir, { recursive: true, force: true });
});

function newProject(): string {
  projectSeq += 1;
  return `funnel_${projectSeq}`;
}

let messageSeq = 0;

interface Tp {
  projectId: string;
  anonymousId?: string;
  userId?: string;
  stage: number;
  at: number;
  messageId?: string;
}

function touchpoint({ projectId, anonymousId, userId, stage, at, messageId }: Tp): StoredTouchpoint {
  messageSeq += 1;
  const ids = { anonymousId: anonymousId ?? null, userId: userId ?? null };
  return {
    touchpoint: touchpointOf({
      messageId: messageId ?? `m${messageSeq}`,
      projectId,
      type: 'track',
      event: stage > 0 ? `Stage ${stage} Event` : 'Unmapped',
      ...ids,
      timestamp: at,
      originalTimestamp: at,
      sentAt: at + 50,
      receivedAt: at + 80,
      sessionId: 's1',
      deviceType: 'desktop',
      country: 'DE',
      libraryName: 'test',
      libraryVersion: '1',
    }),
    rawKey: rawKeyOf(ids),
    stage,
    complaint: false,
    revenue: stage === 5 ? 42.5 : 0,
    currency: stage === 5 ? 'EUR' : '',
    rulesetVersion: 1,
    channel: 'direct',
  };
}

function link(projectId: string, aliasKey: string, customerKey: string, linkedAt: number): IdentityLink {
  messageSeq += 1;
  return { projectId, aliasKey, customerKey, linkedAt, messageId: `link${messageSeq}` };
}

// ---- the reference implementation ----------------------------------------------------------------------

interface ExpectedStage {
  customers: number;
  conversionFromStart: number;
  conversionFromPrevious: number;
  dropOff: number;
  medianSecondsFromPrevious: number | null;
  p90SecondsFromPrevious: number | null;
  medianSecondsToNext: number | null;
  p90SecondsToNext: number | null;
}

/** numpy's default ("linear") percentile. */
function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = p * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  const lowValue = sorted[low] as number;
  return lowValue + ((sorted[high] as number) - lowValue) * (position - low);
}

function expectedFunnel(
  touchpoints: readonly StoredTouchpoint[],
  links: readonly IdentityLink[],
  projectId: string,
  from: number,
  to: number,
  windowMs: number,
): ExpectedStage[] {
  const latestLink = new Map<string, IdentityLink>();
  for (const l of links.filter((l) => l.projectId === projectId)) {
    const known = latestLink.get(l.aliasKey);
    if (!known || l.linkedAt > known.linkedAt) latestLink.set(l.aliasKey, l);
  }
  const firstAt = new Map<string, number[]>(); // customer → first time at stage ≥ k, index k (1..7)
  for (const tp of touchpoints) {
    if (tp.touchpoint.projectId !== projectId || tp.stage === 0) continue;
    const customer = latestLink.get(tp.rawKey)?.customerKey ?? tp.rawKey;
    const times = firstAt.get(customer) ?? Array<number>(8).fill(Number.POSITIVE_INFINITY);
    for (let k = 1; k <= tp.stage; k++) times[k] = Math.min(times[k] as number, tp.touchpoint.timestamp);
    firstAt.set(customer, times);
  }
  const cohort = [...firstAt.values()].filter(
    (times) => (times[1] as number) >= from && (times[1] as number) < to,
  );
  const counts: number[] = [];
  const medians: Array<number | null> = [];
  const p90s: Array<number | null> = [];
  for (let k = 1; k <= 7; k++) {
    const counted = cohort.filter((times) => (times[k] as number) - (times[1] as number) <= windowMs);
    counts.push(counted.length);
    const seconds =
      k === 1 ? [] : counted.map((times) => ((times[k] as number) - (times[k - 1] as number)) / 1000);
    medians.push(percentile(seconds, 0.5));
    p90s.push(percentile(seconds, 0.9));
  }
  return counts.map((n, i) => {
    const previous = i === 0 ? n : (counts[i - 1] as number);
    const start = counts[0] as number;
    return {
      customers: n,
      conversionFromStart: start === 0 ? 0 : n / start,
      conversionFromPrevious: previous === 0 ? 0 : n / previous,
      dropOff: previous === 0 ? 0 : 1 - n / previous,
      medianSecondsFromPrevious: medians[i] ?? null,
      p90SecondsFromPrevious: p90s[i] ?? null,
      medianSecondsToNext: medians[i + 1] ?? null,
      p90SecondsToNext: p90s[i + 1] ?? null,
    };
  });
}

// ---- helpers --------------------------------------------------------------------------------------------

async function funnel(projectId: string, from: number, to: number, windowSeconds = WINDOW_SECONDS) {
  return queryStageFunnel(client, { projectId, from: new Date(from), to: new Date(to), windowSeconds });
}

async function customersPerStage(
  projectId: string,
  from: number,
  to: number,
  windowSeconds = WINDOW_SECONDS,
) {
  return (await funnel(projectId, from, to, windowSeconds)).stages.map((stage) => stage.customers);
}

function expectClose(actual: number | null, expected: number | null, what: string) {
  if (expected === null) {
    expect(actual, what).toBeNull();
  } else {
    expect(actual, what).not.toBeNull();
    // Times are rounded to the millisecond; ratios are exact up to float noise.
    expect(Math.abs((actual as number) - expected), what).toBeLessThanOrEqual(0.001);
  }
}

// ---- scenarios ------------------------------------------------------------------------------------------

describe('queryStageFunnel', () => {
  it('counts a buy-now customer at every earlier stage, and repeat touchpoints once', async () => {
    const projectId = newProject();
    await insertTouchpoints(client, [
      touchpoint({ projectId, anonymousId: 'buyer', stage: 5, at: T0 + HOUR }),
      touchpoint({ projectId, anonymousId: 'browser', stage: 1, at: T0 + HOUR }),
      touchpoint({ projectId, anonymousId: 'browser', stage: 1, at: T0 + 2 * HOUR }),
      touchpoint({ projectId, anonymousId: 'browser', stage: 2, at: T0 + 3 * HOUR }),
      touchpoint({ projectId, anonymousId: 'browser', stage: 2, at: T0 + 4 * HOUR }),
      touchpoint({ projectId, anonymousId: 'browser', stage: 0, at: T0 + 5 * HOUR }),
      touchpoint({ projectId, anonymousId: 'unstaged', stage: 0, at: T0 + HOUR }),
    ]);
    const result = await funnel(projectId, T0, T0 + DAY);
    expect(result.stages.map((s) => s.customers)).toEqual([2, 2, 1, 1, 1, 0, 0]);
    expect(result.stages[1]).toMatchObject({ medianSecondsFromPrevious: 3600, conversionFromPrevious: 1 });
    // The buyer moved from stage 2 to 5 in the same touchpoint: 0 seconds.
    expect(result.stages[3]).toMatchObject({ medianSecondsFromPrevious: 0, medianSecondsToNext: 0 });
    expect(result.stages[5]).toMatchObject({
      conversionFromPrevious: 0,
      dropOff: 1,
      medianSecondsFromPrevious: null,
    });
    expect(result.stages[6]).toMatchObject({
      conversionFromPrevious: 0,
      dropOff: 0,
      medianSecondsToNext: null,
    });
  });

  it('counts a stage reached exactly at entry + window, and not one millisecond later', async () => {
    const projectId = newProject();
    const windowMs = WINDOW_SECONDS * 1000;
    await insertTouchpoints(client, [
      touchpoint({ projectId, anonymousId: 'on-time', stage: 1, at: T0 }),
      touchpoint({ projectId, anonymousId: 'on-time', stage: 2, at: T0 + windowMs }),
      touchpoint({ projectId, anonymousId: 'late', stage: 1, at: T0 }),
      touchpoint({ projectId, anonymousId: 'late', stage: 2, at: T0 + windowMs + 1 }),
    ]);
    expect(await customersPerStage(projectId, T0, T0 + 1)).toEqual([2, 1, 0, 0, 0, 0, 0]);
    // A window of 0 still counts stages reached in the entry touchpoint's millisecond only.
    expect(await customersPerStage(projectId, T0, T0 + 1, 0)).toEqual([2, 0, 0, 0, 0, 0, 0]);
  });

  it('takes entries in [from, to): from inclusive, to exclusive', async () => {
    const projectId = newProject();
    const from = T0 + DAY;
    const to = T0 + 2 * DAY;
    await insertTouchpoints(client, [
      touchpoint({ projectId, anonymousId: 'before', stage: 1, at: from - 1 }),
      touchpoint({ projectId, anonymousId: 'at-from', stage: 1, at: from }),
      touchpoint({ projectId, anonymousId: 'last-ms', stage: 2, at: to - 1 }),
      touchpoint({ projectId, anonymousId: 'at-to', stage: 3, at: to }),
      // Entered before `from`: a later touchpoint inside the range does not bring it into the cohort.
      touchpoint({ projectId, anonymousId: 'before', stage: 4, at: from + HOUR }),
    ]);
    expect(await customersPerStage(projectId, from, to)).toEqual([2, 1, 0, 0, 0, 0, 0]);
  });

  it('merges anonymous ids linked to one user into one customer, retroactively', async () => {
    const projectId = newProject();
    const touchpoints = [
      touchpoint({ projectId, anonymousId: 'phone', stage: 1, at: T0 + HOUR }),
      touchpoint({ projectId, anonymousId: 'laptop', stage: 3, at: T0 + 5 * HOUR }),
      touchpoint({ projectId, anonymousId: 'laptop', userId: 'ada', stage: 5, at: T0 + 9 * HOUR }),
      touchpoint({ projectId, anonymousId: 'stranger', stage: 2, at: T0 + HOUR }),
    ];
    await insertTouchpoints(client, touchpoints);
    // Before the link: phone, laptop, u:ada and stranger are four customers.
    expect(await customersPerStage(projectId, T0, T0 + DAY)).toEqual([4, 3, 2, 1, 1, 0, 0]);

    const links = [
      link(projectId, 'a:phone', 'u:ada', T0 + 9 * HOUR),
      link(projectId, 'a:laptop', 'u:ada', T0 + 9 * HOUR),
    ];
    await insertIdentityLinks(client, links);
    const result = await funnel(projectId, T0, T0 + DAY);
    expect(result.stages.map((s) => s.customers)).toEqual([2, 2, 1, 1, 1, 0, 0]);
    // Ada entered on the phone and reached stages 2 and 3 at once, 4 h later, on the laptop; the stranger
    // entered at stage 2 (0 s). The median interpolates between the two.
    expect(result.stages[1]).toMatchObject({
      medianSecondsFromPrevious: 2 * 3600,
      p90SecondsFromPrevious: 0.9 * 4 * 3600,
    });
    expect(result.stages[2]).toMatchObject({ medianSecondsFromPrevious: 0 });
    // Her entry moved back to the phone's time: a cohort starting after it no longer holds her.
    expect(await customersPerStage(projectId, T0 + 2 * HOUR, T0 + DAY)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('follows the latest link when an alias is relinked', async () => {
    const projectId = newProject();
    await insertTouchpoints(client, [
      touchpoint({ projectId, anonymousId: 'shared-tablet', stage: 1, at: T0 }),
      touchpoint({ projectId, userId: 'bo', stage: 4, at: T0 + DAY }),
      touchpoint({ projectId, userId: 'cy', stage: 2, at: T0 + DAY }),
    ]);
    await insertIdentityLinks(client, [link(projectId, 'a:shared-tablet', 'u:cy', T0 + HOUR)]);
    await insertIdentityLinks(client, [link(projectId, 'a:shared-tablet', 'u:bo', T0 + 2 * HOUR)]);
    expect(await customersPerStage(projectId, T0, T0 + 3 * DAY)).toEqual([2, 2, 1, 1, 0, 0, 0]);
    // bo entered at T0 (the tablet) and cy at T0 + 1 day.
    expect(await customersPerStage(projectId, T0, T0 + 1)).toEqual([1, 1, 1, 1, 0, 0, 0]);
  });

  it('does not change when the same messageIds arrive again (redelivery and re-enriched retry)', async () => {
    const projectId = newProject();
    const batch = [
      touchpoint({ projectId, anonymousId: 'x', stage: 1, at: T0 }),
      touchpoint({ projectId, anonymousId: 'x', stage: 3, at: T0 + DAY }),
      touchpoint({ projectId, anonymousId: 'y', stage: 2, at: T0 + HOUR }),
    ];
    await insertTouchpoints(client, batch);
    const before = await funnel(projectId, T0, T0 + 2 * DAY);

    await insertTouchpoints(client, batch);
    const retried = batch.map((tp) => ({
      ...tp,
      touchpoint: {
        ...tp.touchpoint,
        timestamp: tp.touchpoint.timestamp + 3,
        receivedAt: tp.touchpoint.receivedAt + 3,
      },
    }));
    await insertTouchpoints(client, retried);
    expect(await funnel(projectId, T0, T0 + 2 * DAY)).toEqual(before);

    const counts = await (
      await client.query({
        query: `SELECT count() AS copies, uniqExact(message_id) AS messages,
          (SELECT count() FROM touchpoints FINAL WHERE project_id = {projectId:String}) AS final_rows
          FROM touchpoints WHERE project_id = {projectId:String}`,
        query_params: { projectId },
        format: 'JSONEachRow',
      })
    ).json<{ copies: string; messages: string; final_rows: string }>();
    expect(counts.map((c) => [c.copies, c.messages, c.final_rows].map((v) => toNumber(v, 'count')))).toEqual([
      [9, 3, 3],
    ]);
  });

  it('gives all zeros for a range nobody entered in, and for an unknown project', async () => {
    const projectId = newProject();
    await insertTouchpoints(client, [touchpoint({ projectId, anonymousId: 'z', stage: 7, at: T0 })]);
    for (const result of [
      await funnel(projectId, T0 + DAY, T0 + 2 * DAY),
      await funnel('no-such-project', T0, T0 + DAY),
    ]) {
      expect(result.stages).toHaveLength(7);
      for (const stage of result.stages) {
        expect(stage).toMatchObject({
          customers: 0,
          conversionFromStart: 0,
          conversionFromPrevious: 0,
          dropOff: 0,
          medianSecondsFromPrevious: null,
          medianSecondsToNext: null,
        });
      }
    }
  });

  it('matches the reference on a generated population with links, duplicates and other projects', async () => {
    const projectId = newProject();
    const otherProject = newProject();
    let seed = 20240301;
    const random = () => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = (n: number) => Math.floor(random() * n);
    const touchpoints: StoredTouchpoint[] = [];
    const links: IdentityLink[] = [];
    for (let c = 0; c < 400; c++) {
      const project = c % 10 === 9 ? otherProject : projectId;
      const entry = T0 - 5 * DAY + pick(20 * DAY);
      // Funnel shape: each further stage is reached by fewer customers.
      let furthest = 1;
      while (furthest < 7 && random() < 0.6) furthest += 1;
      const keys: Array<{ anonymousId?: string; userId?: string }> = [{ anonymousId: `anon-${c}` }];
      if (random() < 0.3) keys.push({ anonymousId: `anon-${c}-b` });
      const identified = random() < 0.4;
      if (identified) {
        keys.push({ anonymousId: `anon-${c}`, userId: `user-${c}` });
        for (const key of keys) {
          if (key.anonymousId && !key.userId) {
            links.push(link(project, `a:${key.anonymousId}`, `u:user-${c}`, entry + pick(DAY)));
          }
        }
      }
      const count = 1 + pick(8);
      for (let i = 0; i < count; i++) {
        const stage = i === 0 ? (random() < 0.1 ? furthest : 1) : random() < 0.2 ? 0 : 1 + pick(furthest);
        const at = i === 0 ? entry : entry + pick(45 * DAY);
        const key = keys[pick(keys.length)] as { anonymousId?: string; userId?: string };
        touchpoints.push(touchpoint({ projectId: project, ...key, stage, at }));
      }
    }
    // A relinked alias (latest wins) and links with no touchpoints of their own.
    links.push(link(projectId, 'a:anon-0', 'u:user-1', T0 - 10 * DAY));
    links.push(link(projectId, 'a:ghost', 'u:user-2', T0));

    const duplicates = touchpoints
      .filter(() => random() < 0.15)
      .map((tp) =>
        random() < 0.5
          ? tp
          : { ...tp, touchpoint: { ...tp.touchpoint, timestamp: tp.touchpoint.timestamp + 1 + pick(5) } },
      );
    for (let i = 0; i < touchpoints.length; i += 97) {
      await insertTouchpoints(client, touchpoints.slice(i, i + 97));
    }
    await insertTouchpoints(client, duplicates);
    await insertIdentityLinks(client, links);

    const ranges: Array<[number, number, number]> = [
      [T0, T0 + 10 * DAY, WINDOW_SECONDS],
      [T0 - 5 * DAY, T0 + 15 * DAY, WINDOW_SECONDS],
      [T0 + 3 * DAY, T0 + 4 * DAY, 7 * 24 * 3600],
      [T0, T0 + 10 * DAY, 3600],
    ];
    for (const [from, to, windowSeconds] of ranges) {
      const expected = expectedFunnel(touchpoints, links, projectId, from, to, windowSeconds * 1000);
      const actual = (await funnel(projectId, from, to, windowSeconds)).stages;
      expect(actual.map((s) => s.customers)).toEqual(expected.map((s) => s.customers));
      expect(expected[0]?.customers).toBeGreaterThan(10);
      actual.forEach((stage, i) => {
        const want = expected[i] as ExpectedStage;
        const where = `stage ${i + 1} of [${from}, ${to}) window ${windowSeconds}`;
        expectClose(stage.conversionFromStart, want.conversionFromStart, `${where} conversionFromStart`);
        expectClose(
          stage.conversionFromPrevious,
          want.conversionFromPrevious,
          `${where} conversionFromPrevious`,
        );
        expectClose(stage.dropOff, want.dropOff, `${where} dropOff`);
        expectClose(stage.medianSecondsFromPrevious, want.medianSecondsFromPrevious, `${where} median`);
        expectClose(stage.p90SecondsFromPrevious, want.p90SecondsFromPrevious, `${where} p90`);
        expectClose(stage.medianSecondsToNext, want.medianSecondsToNext, `${where} medianToNext`);
        expectClose(stage.p90SecondsToNext, want.p90SecondsToNext, `${where} p90ToNext`);
      });
    }
  });
});
