import { seededRandom } from '@waymark/cli';
import { STAGE_FUNNEL_MODES } from '@waymark/journey';
import {
  expectFunnelMatches,
  type ReferenceFunnel,
  type ReferenceLink,
  type ReferenceQuery,
  type ReferenceTouchpoint,
  referenceStageFunnel,
} from '@waymark/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';
import { DAY, HOUR, MINUTE, STAGE_EVENTS } from './support/population.ts';

/*
 * The stage funnel through the whole pipeline (collector → Kafka → processor → ClickHouse → query API): a
 * generated population of shoppers walking through the stages, some on two devices that identify later,
 * some batches delivered twice, one batch of earlier touchpoints arriving last. Every mode, filter and
 * breakdown answer is compared with the reference implementation (@waymark/testing) run on what was sent.
 */

const stack = usePipeline();
let project: TestProject;

const T0 = Date.UTC(2025, 4, 1);
/** Event names the default ruleset stages 1 … 7; 'Help Viewed' matches no rule. */
const SOURCES = ['google', 'newsletter', 'facebook'];
const PLANS = ['free', 'pro'];
const MODES = STAGE_FUNNEL_MODES;

interface Sent {
  readonly batches: Record<string, unknown>[][];
  readonly touchpoints: ReferenceTouchpoint[];
  readonly links: ReferenceLink[];
  /** Customer key → plan trait, for identified customers. */
  readonly plans: Map<string, string>;
}

function generate(shoppers: number, seed: number): Sent {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const sent: Sent = { batches: [[], [], []], touchpoints: [], links: [], plans: new Map() };
  let message = 0;
  for (let i = 0; i < shoppers; i++) {
    const devices = random() < 0.25 ? [`anon-${i}`, `phone-${i}`] : [`anon-${i}`];
    const userId = random() < 0.4 ? `user-${i}` : undefined;
    const source = pick(SOURCES);
    let at = T0 + Math.floor(random() * 6 * DAY);
    let stage = random() < 0.8 ? 1 : pick([2, 3, 5]);
    const steps = 1 + Math.floor(random() * 9);
    for (let s = 0; s < steps; s++) {
      const identified = userId !== undefined && s >= steps / 2;
      const anonymousId = pick(devices);
      const event = {
        type: 'track',
        event: STAGE_EVENTS[stage],
        anonymousId,
        ...(identified && { userId }),
        messageId: `m${seed}-${message++}`,
        timestamp: new Date(at).toISOString(),
        context: { campaign: { source, medium: source === 'newsletter' ? 'email' : 'cpc', name: 'spring' } },
      };
      // Most touchpoints in the first batch; some in the third, sent last although they are earlier.
      const batch = s === 1 && random() < 0.3 ? 2 : 0;
      sent.batches[batch]?.push(event);
      if (random() < 0.1) sent.batches[1]?.push(event); // delivered again
      sent.touchpoints.push({
        projectId: '',
        messageId: event.messageId,
        rawKey: identified ? `u:${userId}` : `a:${anonymousId}`,
        timestamp: at,
        stage,
        fields: { utm_source: source, utm_medium: event.context.campaign.medium, utm_campaign: 'spring' },
      });
      // Next: mostly onwards, sometimes a repeat, a step back, a skip, or an unstaged page.
      at += pick([0, 1, 30 * 1000, 20 * MINUTE, 3 * HOUR, 2 * DAY]);
      const move = random();
      stage =
        move < 0.1
          ? 0
          : move < 0.55
            ? Math.min(7, Math.max(stage, 1) + 1)
            : move < 0.7
              ? Math.max(stage, 1)
              : move < 0.8
                ? Math.max(1, stage - 1)
                : move < 0.9
                  ? Math.min(7, Math.max(stage, 1) + 2)
                  : 1;
    }
    if (userId) {
      const plan = pick(PLANS);
      sent.plans.set(`u:${userId}`, plan);
      for (const anonymousId of devices) {
        const identify = {
          type: 'identify',
          anonymousId,
          userId,
          traits: { plan },
          messageId: `m${seed}-${message++}`,
          timestamp: new Date(T0 + 7 * DAY).toISOString(),
        };
        sent.batches[0]?.push(identify);
        sent.links.push({
          projectId: '',
          aliasKey: `a:${anonymousId}`,
          customerKey: `u:${userId}`,
          linkedAt: T0 + 7 * DAY,
        });
      }
    }
  }
  return sent;
}

const sent = generate(60, 7);

interface FunnelAnswer {
  mode: string;
  entered: number;
  filters: Record<string, string[]>;
  stages: Array<Record<string, number | string | null>>;
  breakdown?: {
    dimension: string;
    segments: Array<{ value: string; entered: number; stages: FunnelAnswer['stages'] }>;
  };
}

const funnelPath = (params: Record<string, string | string[]>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) search.append(key, v);
  }
  return `/funnel/stages?${search}`;
};

function reference(
  query: Omit<ReferenceQuery, 'projectId'>,
  customers?: (customer: string) => boolean,
): ReferenceFunnel {
  const resolve = (rawKey: string) => sent.links.find((l) => l.aliasKey === rawKey)?.customerKey ?? rawKey;
  const touchpoints = sent.touchpoints.filter((tp) => customers?.(resolve(tp.rawKey)) ?? true);
  return referenceStageFunnel(touchpoints, sent.links, { ...query, projectId: '' });
}

const RANGE = { from: new Date(T0).toISOString(), to: new Date(T0 + 4 * DAY).toISOString() };

beforeAll(async () => {
  project = await createTestProject(stack.clickhouse, 'stage_funnel');
  for (const batch of sent.batches) {
    expect((await postBatch(stack.collectorUrl, project.writeKey, { batch })).status).toBe(200);
  }
  const everyone = reference({ from: T0 - DAY, to: T0 + 30 * DAY, windowMs: 30 * DAY, mode: 'reached' });
  await eventually(
    async () => {
      const { body } = await queryApi<FunnelAnswer>(
        stack.queryUrl,
        project,
        'GET',
        funnelPath({ from: new Date(T0 - DAY).toISOString(), to: new Date(T0 + 30 * DAY).toISOString() }),
      );
      expect(body.entered).toBe(everyone.entered);
      expect(body.stages.map((s) => s.customers)).toEqual(everyone.stages.map((s) => s.customers));
    },
    { timeoutMs: 60_000 },
  );
});

describe('GET /v1/projects/:projectId/funnel/stages', () => {
  it('answers every mode as the reference computes it from what was sent', async () => {
    expect(reference({ ...range(RANGE), windowMs: 30 * DAY, mode: 'strict' }).entered).toBeGreaterThan(10);
    for (const mode of MODES) {
      for (const window of ['30d', '6h']) {
        const { status, body } = await queryApi<FunnelAnswer>(
          stack.queryUrl,
          project,
          'GET',
          funnelPath({ ...RANGE, window, mode }),
        );
        expect(status).toBe(200);
        expect(body.mode).toBe(mode);
        const windowMs = window === '30d' ? 30 * DAY : 6 * HOUR;
        expectFunnelMatches(body, reference({ ...range(RANGE), windowMs, mode }), `${mode} ${window}`);
      }
    }
  });

  it('filters the cohort on the entry touchpoint and echoes the filters', async () => {
    for (const mode of MODES) {
      const { body } = await queryApi<FunnelAnswer>(
        stack.queryUrl,
        project,
        'GET',
        funnelPath({ ...RANGE, mode, utm_source: ['google', 'facebook'], utm_medium: 'cpc' }),
      );
      expect(body.filters).toEqual({ utm_source: ['google', 'facebook'], utm_medium: ['cpc'] });
      const expected = reference({
        ...range(RANGE),
        windowMs: 30 * DAY,
        mode,
        filters: { utm_source: ['google', 'facebook'], utm_medium: ['cpc'] },
      });
      expect(expected.entered).toBeGreaterThan(0);
      expectFunnelMatches(body, expected, `${mode} filtered`);
    }
  });

  it('reads from and to with their offsets, from inclusive and to exclusive', async () => {
    // The same instants as RANGE, written in two other zones.
    const from = new Date(T0).toISOString().replace('T00:00:00.000Z', 'T02:00:00+02:00');
    const to = new Date(T0 + 4 * DAY).toISOString().replace('T00:00:00.000Z', 'T00:00:00-00:00');
    const { status, body } = await queryApi<FunnelAnswer>(
      stack.queryUrl,
      project,
      'GET',
      funnelPath({ from, to, mode: 'ordered' }),
    );
    expect(status).toBe(200);
    expectFunnelMatches(body, reference({ ...range(RANGE), windowMs: 30 * DAY, mode: 'ordered' }), 'offsets');
    // A one-millisecond range at a customer's entry holds exactly the customers who entered then.
    const entry = Math.min(...sent.touchpoints.filter((tp) => tp.stage > 0).map((tp) => tp.timestamp));
    const single = await queryApi<FunnelAnswer>(
      stack.queryUrl,
      project,
      'GET',
      funnelPath({ from: new Date(entry).toISOString(), to: new Date(entry + 1).toISOString() }),
    );
    expect(single.body.entered).toBe(
      reference({ from: entry, to: entry + 1, windowMs: 30 * DAY, mode: 'reached' }).entered,
    );
    expect(single.body.entered).toBeGreaterThan(0);
    const after = await queryApi<FunnelAnswer>(
      stack.queryUrl,
      project,
      'GET',
      funnelPath({ from: new Date(entry - 1).toISOString(), to: new Date(entry).toISOString() }),
    );
    expect(after.body.entered).toBe(0);
  });

  it('breaks any mode down by a customer dimension', async () => {
    for (const mode of MODES) {
      const { status, body } = await queryApi<FunnelAnswer>(
        stack.queryUrl,
        project,
        'GET',
        funnelPath({ ...RANGE, mode, breakdown: 'trait:plan' }),
      );
      expect(status).toBe(200);
      expect(body.breakdown?.dimension).toBe('trait:plan');
      const values = body.breakdown?.segments.map((s) => s.value).sort();
      expect(values).toEqual(['', 'free', 'pro']);
      for (const segment of body.breakdown?.segments ?? []) {
        const expected = reference({ ...range(RANGE), windowMs: 30 * DAY, mode }, (customer) =>
          segment.value === '' ? !sent.plans.has(customer) : sent.plans.get(customer) === segment.value,
        );
        expectFunnelMatches(segment, expected, `${mode} plan=${segment.value}`);
      }
    }
    // With entry filters: each segment is the filtered cohort's customers of that plan.
    const { body } = await queryApi<FunnelAnswer>(
      stack.queryUrl,
      project,
      'GET',
      funnelPath({ ...RANGE, mode: 'strict', breakdown: 'trait:plan', utm_source: 'google' }),
    );
    for (const segment of body.breakdown?.segments ?? []) {
      const expected = reference(
        { ...range(RANGE), windowMs: 30 * DAY, mode: 'strict', filters: { utm_source: ['google'] } },
        (customer) =>
          segment.value === '' ? !sent.plans.has(customer) : sent.plans.get(customer) === segment.value,
      );
      expectFunnelMatches(segment, expected, `strict google plan=${segment.value}`);
    }
  });

  it('answers 400 naming the offending parameter for malformed, oversized and hostile input', async () => {
    const bad: Array<[Record<string, string | string[]>, string]> = [
      [{ ...RANGE, mode: 'sideways' }, 'mode'],
      [{ ...RANGE, mode: ['ordered', 'strict'] }, 'mode'],
      [{ ...RANGE, utm_soruce: 'google' }, 'utm_soruce'],
      [{ ...RANGE, country: 'x'.repeat(201) }, 'country.0'],
      [{ ...RANGE, country: Array.from({ length: 51 }, (_, i) => `c${i}`) }, 'country'],
      [{ ...RANGE, window: '0' }, 'window'],
      [{ ...RANGE, window: '367d' }, 'window'],
      [{ from: '2025-05-01T00:00:00', to: RANGE.to }, 'from'],
      [{ from: RANGE.to, to: RANGE.from }, 'to'],
      [{ ...RANGE, breakdown: "trait:plan'; DROP TABLE touchpoints --" }, 'breakdown'],
    ];
    for (const [params, field] of bad) {
      const { status, body } = await queryApi<{ code: string; errors: Array<{ field: string }> }>(
        stack.queryUrl,
        project,
        'GET',
        funnelPath(params),
      );
      expect(status, JSON.stringify(params).slice(0, 200)).toBe(400);
      expect(body.code).toBe('INVALID_REQUEST');
      expect(body.errors.map((e) => e.field)).toContain(field);
    }
    // Names that mean something to JavaScript objects are parameters like any other.
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty']) {
      const { status, body } = await queryApi<{ errors: Array<{ field: string }> }>(
        stack.queryUrl,
        project,
        'GET',
        `${funnelPath(RANGE)}&${name}=x`,
      );
      expect(status, name).toBe(400);
      expect(body.errors.map((e) => e.field)).toEqual([name]);
    }
    // Filter values are parameters, never SQL: quotes and SQL match nothing and break nothing.
    const injected = await queryApi<FunnelAnswer>(
      stack.queryUrl,
      project,
      'GET',
      funnelPath({ ...RANGE, utm_source: ["google' OR 1=1 --", "') UNION ALL SELECT 1 --"] }),
    );
    expect(injected.status).toBe(200);
    expect(injected.body.entered).toBe(0);
  });
});

function range(r: { from: string; to: string }): { from: number; to: number } {
  return { from: Date.parse(r.from), to: Date.parse(r.to) };
}
