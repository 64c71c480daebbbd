import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { touchpointOf } from '@waymark/events';
import { rawKeyOf } from '@waymark/journey';
import { afterAll, beforeAll } from 'vitest';
import { createClickHouse } from './client.ts';
import { type IdentityLink, insertIdentityLinks } from './identities.ts';
import { runMigrations } from './migrations.ts';
import { insertTouchpoints, type StoredTouchpoint } from './touchpoints.ts';

/*
 * A population of customers for the flow, drill-down and timeline tests, built so every case the
 * definitions care about occurs: regressions, repeats, skipped stages, unstaged touchpoints, several
 * touchpoints in the same millisecond, SDK and derived sessions, anonymous ids identified later (two
 * devices merged into one customer), a relinked alias, exact redeliveries and re-enriched retries (same
 * message id, timestamp a few ms later), and a second project that must never leak in. Choices come from
 * a hash of (customer, touchpoint, salt), so the data are fixed and any customer can be regenerated alone.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Gaps between a customer's consecutive touchpoints: the same millisecond, a session, a new session, days. */
const GAPS = [0, 0, 1000, 5 * MINUTE, 20 * MINUTE, 40 * MINUTE, 3 * HOUR, 2 * DAY, 9 * DAY, 35 * DAY];
/** Stage moves: repeat, +1, +2 (a skipped stage), −1 (a regression), −3, unstaged. */
const MOVES = [0, 1, 1, 1, 2, -1, -3, 'unstaged'] as const;

function hash(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const value of values) {
    h = Math.imul(h ^ value, 0x01000193);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h ^= h >>> 13;
  }
  return h >>> 0;
}

export interface Population {
  /** In insertion order, copies included: insert them in `batches`. */
  readonly batches: readonly (readonly StoredTouchpoint[])[];
  readonly links: readonly IdentityLink[];
}

export interface PopulationOptions {
  readonly projectId: string;
  readonly otherProjectId: string;
  readonly customers: number;
  /** First touchpoints are spread over [start, start + 20 days). */
  readonly start: number;
}

export function journeyPopulation(options: PopulationOptions): Population {
  const touchpoints: StoredTouchpoint[] = [];
  const links: IdentityLink[] = [];
  for (let c = 0; c < options.customers; c++) {
    const projectId = c % 10 === 9 ? options.otherProjectId : options.projectId;
    const identified = c % 3 === 0;
    const secondDevice = c % 6 === 0;
    const sdkSessions = c % 4 === 1;
    const count = 1 + (hash(c, 1) % 12);
    let at = options.start + (hash(c, 2) % (20 * DAY));
    let stage = 1 + (hash(c, 3) % 2);
    for (let j = 0; j < count; j++) {
      if (j > 0) {
        at += GAPS[hash(c, j, 4) % GAPS.length] as number;
        const move = MOVES[hash(c, j, 5) % MOVES.length] as number | 'unstaged';
        if (move !== 'unstaged') stage = Math.min(7, Math.max(1, stage + move));
      }
      const staged = j === 0 || MOVES[hash(c, j, 5) % MOVES.length] !== 'unstaged';
      const afterIdentify = identified && j >= count / 2;
      const ids = {
        anonymousId: secondDevice && j % 2 === 1 ? `phone-${c}` : `anon-${c}`,
        userId: afterIdentify ? `user-${c}` : null,
      };
      touchpoints.push(
        populationTouchpoint({
          projectId,
          ids,
          messageId: `m-${c}-${j}`,
          at,
          stage: staged ? stage : 0,
          sessionId: sdkSessions ? `sdk-${c}-${Math.floor(j / 3)}` : null,
        }),
      );
    }
    if (identified) {
      const linkedAt = at + MINUTE;
      for (const alias of secondDevice ? [`a:anon-${c}`, `a:phone-${c}`] : [`a:anon-${c}`]) {
        links.push({
          projectId,
          aliasKey: alias,
          customerKey: `u:user-${c}`,
          linkedAt,
          messageId: `l-${alias}`,
        });
      }
    }
  }
  // A relinked alias: customer 3's anonymous history moves to customer 0 (the later link wins).
  links.push({
    projectId: options.projectId,
    aliasKey: 'a:anon-3',
    customerKey: 'u:user-0',
    linkedAt: options.start + 400 * DAY,
    messageId: 'l-relink',
  });
  const redelivered = touchpoints.filter((_, i) => i % 7 === 3);
  const retried = touchpoints
    .filter((_, i) => i % 11 === 5)
    .map((tp) => ({
      ...tp,
      touchpoint: {
        ...tp.touchpoint,
        timestamp: tp.touchpoint.timestamp + 3,
        receivedAt: tp.touchpoint.receivedAt + 3,
      },
    }));
  return { batches: [touchpoints, redelivered, retried], links };
}

export function populationTouchpoint(fields: {
  projectId: string;
  ids: { anonymousId: string | null; userId: string | null };
  messageId: string;
  at: number;
  stage: number;
  sessionId?: string | null;
  complaint?: boolean;
}): StoredTouchpoint {
  const page = fields.stage <= 1;
  return {
    touchpoint: touchpointOf({
      messageId: fields.messageId,
      projectId: fields.projectId,
      type: page ? 'page' : 'track',
      event: page ? null : `Stage ${fields.stage} Event`,
      name: page ? `Page ${fields.stage}` : null,
      ...fields.ids,
      timestamp: fields.at,
      receivedAt: fields.at + 80,
      sessionId: fields.sessionId ?? null,
      pagePath: page ? `/p/${fields.stage}` : null,
      deviceType: fields.ids.anonymousId?.startsWith('phone') ? 'mobile' : 'desktop',
    }),
    rawKey: rawKeyOf(fields.ids),
    stage: fields.stage,
    complaint: fields.complaint ?? false,
    revenue: fields.stage === 5 ? 40 : 0,
    currency: fields.stage === 5 ? 'EUR' : '',
    rulesetVersion: 1,
    channel: page ? 'organic search' : 'direct',
  };
}

/** The identity map as the queries read it: the latest link of each alias, else the raw key itself. */
export function customerResolver(population: Population, projectId: string): (rawKey: string) => string {
  const latest = new Map<string, IdentityLink>();
  for (const link of population.links) {
    if (link.projectId !== projectId) continue;
    const known = latest.get(link.aliasKey);
    if (known === undefined || link.linkedAt > known.linkedAt) latest.set(link.aliasKey, link);
  }
  return (rawKey) => latest.get(rawKey)?.customerKey ?? rawKey;
}

/** Each message of the project once, as `FINAL` reads it: the last inserted copy. */
export function storedOnce(population: Population, projectId: string): StoredTouchpoint[] {
  const last = new Map<string, StoredTouchpoint>();
  for (const tp of population.batches.flat()) {
    if (tp.touchpoint.projectId === projectId) last.set(`${tp.rawKey}\n${tp.touchpoint.messageId}`, tp);
  }
  return [...last.values()];
}

/**
 * A test file's embedded ClickHouse holding {@link journeyPopulation}, opened in `beforeAll` and removed in
 * `afterAll`. Read its fields inside tests.
 */
export function usePopulation(options: PopulationOptions): {
  client: ClickHouseClient;
  population: Population;
} {
  const population = journeyPopulation(options);
  let dir: string | undefined;
  let client: ClickHouseClient | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), `waymark-${options.projectId}-`));
    client = await createClickHouse({ dataDir: dir });
    await runMigrations(client);
    for (const batch of population.batches) await insertTouchpoints(client, batch);
    await insertIdentityLinks(client, population.links);
  });
  afterAll(async () => {
    await client?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return {
    population,
    get client() {
      if (client === undefined) throw new Error('usePopulation: read the client inside a test');
      return client;
    },
  };
}
