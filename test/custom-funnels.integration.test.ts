import { seededRandom } from '@waymark/cli';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTestProject,
  eventually,
  postBatch,
  queryApi,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';

/*
 * Custom funnels and experiments through the whole pipeline (collector → Kafka → processor → ClickHouse →
 * query API), on populations built so that every customer's outcome is known by construction; the figures
 * are derived here from those outcomes, never from the SQL.
 */

const stack = usePipeline();
const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5);
const iso = (ms: number) => new Date(ms).toISOString();

interface StepAnswer {
  step: number;
  name: string | null;
  customers: number;
  conversionFromStart: number;
  conversionFromPrevious: number;
  medianSecondsFromPrevious: number | null;
  p90SecondsFromPrevious: number | null;
}
interface FunnelAnswer {
  steps: StepAnswer[];
  excludedCustomers: number;
  breakdown?: { dimension: string; truncated: boolean; segments: { value: string; steps: StepAnswer[] }[] };
}

async function send(project: TestProject, events: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < events.length; i += 300) {
    const answer = await postBatch(stack.collectorUrl, project.writeKey, { batch: events.slice(i, i + 300) });
    expect(answer.status).toBe(200);
    expect(answer.body.rejected).toEqual([]);
  }
}

/** numpy's default ("linear") percentile. */
function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const position = p * (sorted.length - 1);
  const low = sorted[Math.floor(position)] as number;
  return low + ((sorted[Math.ceil(position)] as number) - low) * (position - Math.floor(position));
}

// ---- a custom funnel ------------------------------------------------------------------------------------

const STEP_EVENTS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed'];
const WINDOW = 2 * DAY;

interface Shopper {
  /** The customer key: the user once identified, else the anonymous id. */
  key: string;
  source: string;
  /** Step times of the steps that count, in order; the outcome by construction. */
  reached: number[];
  excluded: boolean;
  events: Record<string, unknown>[];
}

function shoppers(count: number): Shopper[] {
  const random = seededRandom(5);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  return Array.from({ length: count }, (_, i) => {
    const anonymousId = `shopper-${i}`;
    const userId = random() < 0.4 ? `buyer-${i}` : undefined;
    const source = ['google', 'newsletter', ''][i % 3] as string;
    const steps = pick([1, 1, 2, 2, 3, 3, 4, 4, 4]);
    // The last step comes a minute after the window closes (a one-step journey has no step to be late).
    const late = steps > 1 && random() < 0.15;
    const revenue = pick([20, 80]);
    const coupon = steps >= 3 && random() < 0.25;
    const times = [T0 + i * 7 * MINUTE];
    for (let k = 1; k < steps; k++)
      times.push((times[k - 1] as number) + (2 + Math.floor(random() * 600)) * MINUTE);
    if (late) times[steps - 1] = (times[0] as number) + WINDOW + MINUTE;
    const events: Record<string, unknown>[] = times.map((at, k) => ({
      type: 'track',
      event: STEP_EVENTS[k],
      anonymousId,
      // Identified after step 1: the later steps belong to the user, the entry to the anonymous id.
      ...(userId && k > 0 && { userId }),
      messageId: `${anonymousId}-step-${k + 1}`,
      timestamp: iso(at),
      ...(k === 0 && source && { context: { campaign: { source, medium: 'cpc' } } }),
      ...(k === 3 && { properties: { revenue } }),
    }));
    if (userId) {
      events.push({
        type: 'identify',
        anonymousId,
        userId,
        messageId: `${anonymousId}-id`,
        timestamp: iso((times[0] as number) + MINUTE),
      });
    }
    // Coupon Applied right after step 3: an exclusion between steps 3 and 4.
    if (coupon) {
      events.push({
        type: 'track',
        event: 'Coupon Applied',
        anonymousId,
        messageId: `${anonymousId}-coupon`,
        timestamp: iso((times[2] as number) + MINUTE),
      });
    }
    // Another product viewed 30 s later starts a second attempt, which never gets further than the first
    // (its window closes 30 s later, before a late step) and so is not the one counted (decision 0033).
    events.push({
      type: 'track',
      event: 'Product Viewed',
      anonymousId,
      messageId: `${anonymousId}-again`,
      timestamp: iso((times[0] as number) + MINUTE / 2),
    });
    // What counts: steps inside the window, and step 4 only with revenue ≥ 50.
    let counted = late ? steps - 1 : steps;
    if (counted === 4 && revenue < 50) counted = 3;
    return {
      key: userId ? `u:${userId}` : `a:${anonymousId}`,
      source,
      reached: times.slice(0, counted),
      excluded: coupon && counted >= 3,
      events,
    };
  });
}

function expectedFunnel(people: readonly Shopper[]) {
  const kept = people.filter((p) => !p.excluded);
  return STEP_EVENTS.map((_, i) => {
    const at = kept.filter((p) => p.reached.length > i);
    const seconds = at.map((p) => ((p.reached[i] as number) - (p.reached[i - 1] as number)) / 1000);
    return {
      customers: at.length,
      medianSecondsFromPrevious: i === 0 ? null : percentile(seconds, 0.5),
      p90SecondsFromPrevious: i === 0 ? null : percentile(seconds, 0.9),
    };
  });
}

const funnelBody = {
  from: iso(T0),
  to: iso(T0 + DAY),
  window: '2d',
  steps: [
    { name: 'viewed', event: 'Product Viewed' },
    { name: 'added', event: 'Product Added' },
    { name: 'checkout', event: 'Checkout Started' },
    { name: 'paid', event: 'Order Completed', properties: [{ property: 'revenue', gte: 50 }] },
  ],
  exclusions: [{ event: 'Coupon Applied', afterStep: 3, beforeStep: 4 }],
  breakdown: 'utm_source',
};

describe('POST /v1/projects/:projectId/funnels', () => {
  let project: TestProject;
  const people = shoppers(90);

  beforeAll(async () => {
    project = await createTestProject(stack.clickhouse);
    const events = people.flatMap((p) => p.events);
    const random = seededRandom(9);
    events.sort(() => random() - 0.5);
    await send(project, events);
    // A redelivered batch: the same message ids again.
    await send(project, events.slice(0, 120));
  });

  it('answers every step as computed from the population, overall and per step-1 source', async () => {
    const expected = expectedFunnel(people);
    const body = await eventually(
      async () => {
        const answer = await queryApi<FunnelAnswer>(stack.queryUrl, project, 'POST', '/funnels', {
          body: funnelBody,
        });
        expect(answer.status).toBe(200);
        expect(answer.body.steps.map((s) => s.customers)).toEqual(expected.map((s) => s.customers));
        return answer.body;
      },
      { timeoutMs: 60_000 },
    );
    // The population exercises every branch: late steps, low revenue, exclusions, identified customers.
    expect(
      expected.map((s) => s.customers).every((n, i, all) => n > 0 && (i === 0 || n < (all[i - 1] as number))),
    ).toBe(true);
    expect(body.excludedCustomers).toBe(people.filter((p) => p.excluded).length);
    expect(body.excludedCustomers).toBeGreaterThan(0);
    expect(body.steps.map((s) => s.name)).toEqual(['viewed', 'added', 'checkout', 'paid']);
    body.steps.forEach((step, i) => {
      if (i === 0) {
        expect(step.medianSecondsFromPrevious).toBeNull();
        return;
      }
      expect(step.medianSecondsFromPrevious, `median ${i}`).toBeCloseTo(
        expected[i]?.medianSecondsFromPrevious as number,
        3,
      );
      expect(step.p90SecondsFromPrevious, `p90 ${i}`).toBeCloseTo(
        expected[i]?.p90SecondsFromPrevious as number,
        3,
      );
    });
    expect(body.breakdown?.dimension).toBe('utm_source');
    const bySource = body.breakdown?.segments.map((s) => [s.value, s.steps.map((x) => x.customers)]);
    expect(Object.fromEntries(bySource ?? [])).toEqual({
      google: expectedFunnel(people.filter((p) => p.source === 'google')).map((s) => s.customers),
      newsletter: expectedFunnel(people.filter((p) => p.source === 'newsletter')).map((s) => s.customers),
      '': expectedFunnel(people.filter((p) => p.source === '')).map((s) => s.customers),
    });
  });

  it('drills down to exactly the customers who reached or dropped at every step, page by page', async () => {
    const { breakdown: _, ...definition } = funnelBody;
    const pages = async (step: number, outcome: 'reached' | 'dropped') => {
      const keys: string[] = [];
      let after: string | undefined;
      for (let page = 0; page < 100; page++) {
        const answer = await queryApi<{
          customers: { customer: string; profile: string }[];
          next: string | null;
        }>(stack.queryUrl, project, 'POST', '/funnels/customers', {
          body: { ...definition, step, outcome, limit: 7, ...(after !== undefined && { after }) },
        });
        expect(answer.status).toBe(200);
        keys.push(...answer.body.customers.map((c) => c.customer));
        if (answer.body.next === null) return keys;
        after = answer.body.next;
      }
      throw new Error('paging did not end');
    };
    const kept = people.filter((p) => !p.excluded);
    for (const step of [1, 2, 3, 4]) {
      const reached = kept.filter((p) => p.reached.length >= step).map((p) => p.key);
      expect(await pages(step, 'reached'), `reached ${step}`).toEqual(reached.sort());
      if (step === 1) continue;
      const dropped = kept.filter((p) => p.reached.length === step - 1).map((p) => p.key);
      expect(await pages(step, 'dropped'), `dropped ${step}`).toEqual(dropped.sort());
    }
    const refused = await queryApi(stack.queryUrl, project, 'POST', '/funnels/customers', {
      body: { ...definition, step: 1, outcome: 'dropped' },
    });
    expect([refused.status, (refused.body.errors as { field: string }[])[0]?.field]).toEqual([400, 'step']);
    const noSuchStep = await queryApi(stack.queryUrl, project, 'POST', '/funnels/customers', {
      body: { ...definition, step: 5 },
    });
    expect([noSuchStep.status, (noSuchStep.body.errors as { field: string }[])[0]?.field]).toEqual([
      400,
      'step',
    ]);
  });

  it('answers ordered, strict and unordered consistently with the population', async () => {
    // Without exclusions, unordered: nobody did more of the steps in another order than in order.
    const unordered = await queryApi<FunnelAnswer>(stack.queryUrl, project, 'POST', '/funnels', {
      body: { ...funnelBody, order: 'unordered', exclusions: [], breakdown: undefined },
    });
    expect(unordered.status).toBe(200);
    expect(unordered.body.steps.map((s) => s.customers)).toEqual(
      STEP_EVENTS.map((_, i) => people.filter((p) => p.reached.length > i).length),
    );
    const any = await queryApi(stack.queryUrl, project, 'POST', '/funnels', {
      body: { ...funnelBody, order: 'any' },
    });
    expect([any.status, (any.body.errors as { field: string }[])[0]?.field]).toEqual([400, 'order']);
    const strict = await queryApi<FunnelAnswer>(stack.queryUrl, project, 'POST', '/funnels', {
      body: { ...funnelBody, order: 'strict', exclusions: [], breakdown: undefined },
    });
    expect(strict.status).toBe(200);
    // The product viewed again repeats step 1 while it is the step reached, and the identify call is no
    // action: neither interrupts. The
    // coupon matches no step: it interrupts between steps 3 and 4.
    const strictExpected = STEP_EVENTS.map(
      (_, i) =>
        people.filter((p) => {
          const reached = p.reached.length > i;
          if (i < 3 || !reached) return reached;
          return !p.events.some((e) => e.event === 'Coupon Applied');
        }).length,
    );
    expect(strict.body.steps.map((s) => s.customers)).toEqual(strictExpected);
  });

  it('keeps a key of one project out of another project', async () => {
    const other = await createTestProject(stack.clickhouse, 'other');
    const answer = await queryApi(stack.queryUrl, project, 'POST', '/funnels', {
      body: funnelBody,
      apiKey: other.apiKey,
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ code: 'FORBIDDEN' });
  });
});

// ---- an experiment --------------------------------------------------------------------------------------

interface ExperimentAnswer {
  control: string | null;
  exposedCustomers: number;
  multipleVariantCustomers: number;
  conversionStep: number;
  variants: {
    variant: string;
    exposed: number;
    converted: number;
    conversionRate: number;
    steps: StepAnswer[];
    comparison: {
      absoluteLift: number;
      relativeLift: number | null;
      zScore: number | null;
      pValue: number | null;
      confidenceInterval: { lower: number; upper: number };
      verdict: string;
    } | null;
  }[];
}

/*
 * checkout-v2: control 200 exposed / 40 converted, treatment 200 / 70, tiny 8 / 2; 3 customers saw control
 * then treatment (left out); late orders, orders before exposure, another experiment's exposures and
 * identified customers do not change that.
 */
function experimentEvents(): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  let n = 0;
  const exposure = (anonymousId: string, at: number, variant: string, experiment = 'checkout-v2') =>
    events.push({
      type: 'track',
      event: 'Experiment Viewed',
      anonymousId,
      messageId: `exp-${n++}`,
      timestamp: iso(at),
      properties: { experiment, variant },
    });
  const order = (anonymousId: string, at: number, userId?: string) => {
    events.push({
      type: 'track',
      event: 'Checkout Started',
      anonymousId,
      ...(userId && { userId }),
      messageId: `exp-${n++}`,
      timestamp: iso(at),
    });
    events.push({
      type: 'track',
      event: 'Order Completed',
      anonymousId,
      ...(userId && { userId }),
      messageId: `exp-${n++}`,
      timestamp: iso(at + MINUTE),
      properties: { revenue: 30 },
    });
  };
  const group = (variant: string, exposed: number, converted: number) => {
    for (let i = 0; i < exposed; i++) {
      const id = `${variant}-${i}`;
      const at = T0 + i * 3 * MINUTE;
      exposure(id, at, variant);
      if (i < converted) {
        // Every other converter identifies first: the order is the user's, the exposure the anonymous id's.
        const userId = i % 2 === 0 ? `${id}-user` : undefined;
        if (userId)
          events.push({
            type: 'identify',
            anonymousId: id,
            userId,
            messageId: `exp-${n++}`,
            timestamp: iso(at + MINUTE),
          });
        order(id, at + 2 * DAY, userId);
      } else if (i < converted + 5) {
        order(id, at + 8 * DAY); // after the 7-day window
      } else if (i < converted + 10) {
        order(id, at - DAY); // before the exposure
      }
    }
  };
  group('control', 200, 40);
  group('treatment', 200, 70);
  group('tiny', 8, 2);
  for (let i = 0; i < 3; i++) {
    exposure(`both-${i}`, T0 + i * MINUTE, 'control');
    exposure(`both-${i}`, T0 + HOUR_MS + i * MINUTE, 'treatment');
    order(`both-${i}`, T0 + DAY);
  }
  for (let i = 0; i < 4; i++) exposure(`other-${i}`, T0 + i * MINUTE, 'control', 'pricing-test');
  return events;
}
const HOUR_MS = 60 * MINUTE;

const experimentBody = {
  from: iso(T0),
  to: iso(T0 + 2 * DAY),
  window: '7d',
  experiment: 'checkout-v2',
  steps: [{ event: 'Checkout Started' }, { stage: 'purchase' }],
};

describe('POST /v1/projects/:projectId/experiments/compare', () => {
  let project: TestProject;

  beforeAll(async () => {
    project = await createTestProject(stack.clickhouse, 'experiments');
    const events = experimentEvents();
    const random = seededRandom(3);
    events.sort(() => random() - 0.5);
    await send(project, events);
  });

  it('compares every variant with the control as computed by hand', async () => {
    const body = await eventually(
      async () => {
        const answer = await queryApi<ExperimentAnswer>(
          stack.queryUrl,
          project,
          'POST',
          '/experiments/compare',
          {
            body: experimentBody,
          },
        );
        expect(answer.status).toBe(200);
        expect(answer.body.variants.map((v) => [v.variant, v.exposed, v.converted])).toEqual([
          ['control', 200, 40],
          ['tiny', 8, 2],
          ['treatment', 200, 70],
        ]);
        return answer.body;
      },
      { timeoutMs: 60_000 },
    );
    expect(body).toMatchObject({
      control: 'control',
      exposedCustomers: 408,
      multipleVariantCustomers: 3,
      conversionStep: 2,
    });
    const [control, tiny, treatment] = body.variants;
    expect(control?.comparison).toBeNull();
    expect(control?.steps.map((s) => s.customers)).toEqual([200, 40, 40]);
    expect(treatment?.conversionRate).toBe(0.35);
    // By hand (and Python's statistics.NormalDist): pooled p = 110/400 = 0.275,
    // SE = √(0.275 · 0.725 · (2/200)) = 0.044651, z = 0.15 / 0.044651 = 3.35936, two-sided p = 0.000781;
    // Wald SE = √(0.2·0.8/200 + 0.35·0.65/200) = 0.043732, CI = 0.15 ± 1.96 · 0.043732.
    expect(treatment?.comparison?.absoluteLift).toBeCloseTo(0.15, 12);
    expect(treatment?.comparison?.relativeLift).toBeCloseTo(0.75, 12);
    expect(treatment?.comparison?.zScore).toBeCloseTo(3.359355065735125, 10);
    expect(treatment?.comparison?.pValue).toBeCloseTo(0.0007812461893217238, 12);
    expect(treatment?.comparison?.confidenceInterval.lower).toBeCloseTo(0.06372818267188948, 10);
    expect(treatment?.comparison?.confidenceInterval.upper).toBeCloseTo(0.23627181732811045, 10);
    expect(treatment?.comparison?.verdict).toBe('better');
    // 8 exposed, 2 converted: n·p = 2 < 5, no verdict whatever the p-value.
    expect(tiny?.comparison?.verdict).toBe('not enough data');
    expect(tiny?.comparison?.pValue).toBeCloseTo(0.7297574225795862, 10);
  });

  it('gives no verdict below the minimum sample, and compares with a named control', async () => {
    const strictSample = await queryApi<ExperimentAnswer>(
      stack.queryUrl,
      project,
      'POST',
      '/experiments/compare',
      {
        body: { ...experimentBody, minimumSample: 201 },
      },
    );
    expect(strictSample.body.variants.map((v) => v.comparison?.verdict ?? null)).toEqual([
      null,
      'not enough data',
      'not enough data',
    ]);
    const named = await queryApi<ExperimentAnswer>(stack.queryUrl, project, 'POST', '/experiments/compare', {
      body: { ...experimentBody, control: 'treatment', conversionStep: 1 },
    });
    expect(named.status).toBe(200);
    expect(named.body.variants.map((v) => v.variant)).toEqual(['treatment', 'control', 'tiny']);
    expect(named.body.variants[1]?.comparison?.verdict).toBe('worse');
    const unknown = await queryApi(stack.queryUrl, project, 'POST', '/experiments/compare', {
      body: { ...experimentBody, control: 'nobody' },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'INVALID_REQUEST', errors: [{ field: 'control' }] });
  });
});

// ---- hostile input --------------------------------------------------------------------------------------

describe('hostile input', () => {
  let project: TestProject;
  beforeAll(async () => {
    project = await createTestProject(stack.clickhouse, 'hostile');
  });

  const refused = async (path: string, body: unknown) => {
    const answer = await queryApi<{ code: string; errors?: { field: string }[] }>(
      stack.queryUrl,
      project,
      'POST',
      path,
      {
        body,
      },
    );
    expect(answer.status, JSON.stringify(body).slice(0, 200)).toBe(400);
    expect(answer.body.code).toBe('INVALID_REQUEST');
    return (answer.body.errors ?? []).map((e) => e.field);
  };
  const step = { event: 'A' };
  const range = { from: '2026-01-01', to: '2026-02-01' };

  it('refuses malformed, oversized and hostile funnels with the offending field, never a 500', async () => {
    expect(await refused('/funnels', { ...range, steps: Array(21).fill(step) })).toEqual(['steps']);
    expect(
      await refused('/funnels', {
        ...range,
        steps: [step, { properties: [{ property: 'plan', like: '%' }] }],
      }),
    ).toContain('steps.1.properties.0');
    expect(await refused('/funnels', { ...range, steps: [step, { event: 'x'.repeat(100_000) }] })).toEqual([
      'steps.1.event.0',
    ]);
    expect(
      await refused('/funnels', {
        ...range,
        steps: [step, { properties: [{ property: "plan') OR 1=1 --", eq: 'x' }] }],
      }),
    ).toEqual(['steps.1.properties.0.property']);
    expect(
      await refused('/funnels', {
        ...range,
        steps: [step, step],
        breakdown: "property:x'); DROP TABLE t --",
      }),
    ).toEqual(['breakdown']);
    expect(await refused('/funnels', { ...range, steps: [step, step], order: { $ne: 1 } })).toEqual([
      'order',
    ]);
    expect(await refused('/funnels', { ...range, steps: [step, {}] })).toEqual(['steps.1']);
    expect(
      await refused('/funnels', {
        ...range,
        steps: [step, step],
        exclusions: [{ event: 'X', afterStep: 1, beforeStep: 9 }],
      }),
    ).toEqual(['exclusions.0.beforeStep']);
    expect(await refused('/funnels', { ...range, steps: 'A,B' })).toEqual(['steps']);
    expect(await refused('/funnels', [step, step])).toEqual(['']);
    expect(await refused('/funnels', '{"steps": [')).toEqual([]);
    // Over the 1 MB body limit.
    expect(
      await refused('/funnels', { ...range, steps: [step, step], padding: 'x'.repeat(1_100_000) }),
    ).toEqual([]);
  });

  it('treats injection attempts in values as plain data', async () => {
    const answer = await queryApi<FunnelAnswer>(stack.queryUrl, project, 'POST', '/funnels', {
      body: {
        ...range,
        steps: [
          { event: "A'); DROP TABLE touchpoints; --" },
          { pagePath: "/*'--", properties: [{ property: 'q', eq: '{projectId:String}', contains: "\\'" }] },
        ],
        breakdown: 'property:utm-x.y',
      },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.steps.map((s) => s.customers)).toEqual([0, 0]);
  });

  it('refuses malformed experiments with the offending field', async () => {
    const experiment = { ...range, experiment: 'e', steps: [step] };
    expect(await refused('/experiments/compare', { ...experiment, steps: Array(20).fill(step) })).toEqual([
      'steps',
    ]);
    expect(
      await refused('/experiments/compare', { ...experiment, variantProperty: 'variant; DROP' }),
    ).toEqual(['variantProperty']);
    expect(await refused('/experiments/compare', { ...experiment, experiment: 'e'.repeat(201) })).toEqual([
      'experiment',
    ]);
    expect(await refused('/experiments/compare', { ...experiment, conversionStep: 2 })).toEqual([
      'conversionStep',
    ]);
    expect(await refused('/experiments/compare', { ...experiment, minimumSample: -1 })).toEqual([
      'minimumSample',
    ]);
    expect(await refused('/experiments/compare', { ...experiment, window: '400d' })).toEqual(['window']);
  });
});
