import type { getStageFunnelWhyDrop, RouteResponse } from '@waymark/api-contract';
import {
  hashApiKey,
  type IdentityLink,
  insertIdentityLinks,
  insertTouchpoints,
  type StoredTouchpoint,
  upsertProject,
} from '@waymark/clickhouse';
import { touchpointOf } from '@waymark/events';
import { factorStatistics, rawKeyOf } from '@waymark/journey';
import { buildQueryApp, loadQueryEnv, webhooksFromEnv } from '@waymark/query';
import { openTestClickHouse, TEST_WEBHOOK_ENV, type TestClickHouse, testLogger } from '@waymark/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * "Why did they drop?" on the real engine, over a population with a planted cause: customers on Android who
 * saw the shipping page mostly drop between adding to cart (selection) and ordering (purchase); everything
 * else (country, the FAQ page, coupons, payment method) is independent of the outcome. Every expected figure is
 * computed here from the generated journeys by a plain reading of docs/analytics/why-drop.md, never from the
 * SQL: who converted, the touchpoints of each customer's interval, the 2×2 tables and the droppers' paths.
 */

const PROJECT = 'whydrop_main';
const OTHER = 'whydrop_other';
const API_KEY = 'sk_whydrop_secret';
const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5);
const WINDOW = 7 * DAY;
const CUSTOMERS = 1500;
const LONG_KEY = 'k'.repeat(300);
/** A touchpoint property object written as JSON text: `__proto__` in an object literal would set the prototype. */
const HOSTILE_PROPERTIES = `{"__proto__":"x","constructor":"y","'; DROP TABLE touchpoints; --":"z","${LONG_KEY}":"${'v'.repeat(300)}"}`;

function hash(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const value of values) {
    h = Math.imul(h ^ value, 0x01000193);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h ^= h >>> 13;
  }
  return h >>> 0;
}
const chance = (c: number, salt: number) => (hash(c, salt) % 10_000) / 10_000;

interface Step {
  at: number;
  type: 'page' | 'track' | 'identify';
  label: string;
  stage: number;
  properties?: string;
}
interface Customer {
  key: string;
  os: string;
  country: string;
  /** When it added to cart (step 2 of the custom funnel, selection in the stage funnel) and ordered. */
  addedAt: number;
  orderedAt: number | null;
  steps: Step[];
}

function population(): Customer[] {
  const customers: Customer[] = [];
  for (let c = 0; c < CUSTOMERS; c++) {
    const os = c % 10 < 3 ? 'Android' : c % 10 < 6 ? 'iOS' : 'Windows';
    const country = ['DE', 'FR', 'US'][hash(c, 1) % 3] as string;
    const start = T0 + (hash(c, 2) % (9 * DAY));
    const shipping = chance(c, 3) < 0.4;
    const converts = chance(c, 4) < (os === 'Android' && shipping ? 0.1 : 0.7);
    const steps: Step[] = [
      { at: start, type: 'page', label: '/home', stage: 1 },
      { at: start + MINUTE, type: 'track', label: 'Product Viewed', stage: 2 },
      { at: start + 2 * MINUTE, type: 'track', label: 'Product Added', stage: 4 },
    ];
    if (shipping) steps.push({ at: start + 5 * MINUTE, type: 'page', label: '/shipping', stage: 0 });
    if (chance(c, 5) < 0.5) steps.push({ at: start + 7 * MINUTE, type: 'page', label: '/faq', stage: 0 });
    if (chance(c, 6) < 0.3) {
      const coupon = chance(c, 7) < 0.5 ? 'A' : 'B';
      steps.push({
        at: start + 9 * MINUTE,
        type: 'track',
        label: 'Coupon Viewed',
        stage: 0,
        properties: `{"coupon":"${coupon}"}`,
      });
    }
    if (c % 5 === 0) steps.push({ at: start + 10 * MINUTE, type: 'identify', label: '', stage: 0 });
    if (chance(c, 8) < 0.6) {
      const payment = chance(c, 9) < 0.5 ? 'card' : 'paypal';
      steps.push({
        at: start + 11 * MINUTE,
        type: 'track',
        label: 'Checkout Started',
        stage: 4,
        properties: `{"payment":"${payment}"}`,
      });
    }
    // A repeat of the custom funnel's first step: a factor of the stage funnel, left out of the custom one's.
    if (chance(c, 10) < 0.25)
      steps.push({ at: start + 13 * MINUTE, type: 'track', label: 'Product Viewed', stage: 2 });
    if (c % 7 === 0) {
      steps.push({
        at: start + 15 * MINUTE,
        type: 'track',
        label: 'Odd Props',
        stage: 0,
        properties: HOSTILE_PROPERTIES,
      });
    }
    const orderedAt = converts ? start + 30 * MINUTE : null;
    // Droppers look around some more; the same look before the order is no factor (as common among converters).
    if (chance(c, 11) < 0.5) {
      steps.push({
        at: start + (orderedAt === null ? 40 : 20) * MINUTE,
        type: 'page',
        label: '/home',
        stage: 1,
      });
    }
    if (orderedAt !== null) steps.push({ at: orderedAt, type: 'track', label: 'Order Completed', stage: 5 });
    customers.push({
      key: c % 5 === 0 ? `u:user-${c}` : `a:anon-${c}`,
      os,
      country,
      addedAt: start + 2 * MINUTE,
      orderedAt,
      steps,
    });
  }
  return customers;
}

const CUSTOMER_LIST = population();

/** The stored rows: identified customers' first touchpoints are anonymous (linked later), some redelivered. */
function storedRows(projectId: string): {
  rows: StoredTouchpoint[];
  redelivered: StoredTouchpoint[];
  links: IdentityLink[];
} {
  const rows: StoredTouchpoint[] = [];
  const links: IdentityLink[] = [];
  CUSTOMER_LIST.forEach((customer, c) => {
    const identified = customer.key.startsWith('u:');
    customer.steps.forEach((step, j) => {
      const ids = {
        anonymousId: `anon-${c}`,
        userId: identified && (j >= 2 || step.type === 'identify') ? `user-${c}` : null,
      };
      rows.push({
        touchpoint: touchpointOf({
          messageId: `m-${c}-${j}`,
          projectId,
          type: step.type,
          event: step.type === 'track' ? step.label : null,
          pagePath: step.type === 'page' ? step.label : null,
          ...ids,
          timestamp: step.at,
          receivedAt: step.at + 50,
          os: customer.os,
          deviceType: customer.os === 'Windows' ? 'desktop' : 'mobile',
          country: customer.country,
          properties: step.properties ?? '{}',
        }),
        rawKey: rawKeyOf(ids),
        stage: step.stage,
        complaint: false,
        revenue: 0,
        currency: '',
        rulesetVersion: 1,
        channel: '',
      });
    });
    if (identified) {
      links.push({
        projectId,
        aliasKey: `a:anon-${c}`,
        customerKey: customer.key,
        linkedAt: customer.addedAt + 8 * MINUTE,
        messageId: `l-${c}`,
      });
    }
  });
  return { rows, redelivered: rows.filter((_, i) => i % 6 === 0), links };
}

// ---- the independent reading -------------------------------------------------------------------------------

type Label = `event:${string}` | `page:${string}`;
const labelOf = (step: Step): Label => (step.type === 'page' ? `page:${step.label}` : `event:${step.label}`);
const CUSTOM_STEPS = ['Product Viewed', 'Product Added', 'Order Completed'];

/** The touchpoints considered: after step k, before k + 1 (converters) or to the window's end; no identify. */
function interval(customer: Customer, custom: boolean): Step[] {
  const entry = custom ? (customer.steps[1] as Step).at : (customer.steps[0] as Step).at;
  const until = customer.orderedAt ?? entry + WINDOW + 1;
  return customer.steps.filter(
    (step) =>
      step.at > customer.addedAt &&
      step.at < until &&
      step.type !== 'identify' &&
      !(custom && step.type === 'track' && CUSTOM_STEPS.includes(step.label)),
  );
}

/** Each customer's factors as strings, as the answer's factors are keyed below. */
function factorsOf(customer: Customer, custom: boolean): Set<string> {
  const factors = new Set<string>();
  const dimensions = [`os=${customer.os}`, `country=${customer.country}`];
  for (const step of interval(customer, custom)) {
    const label = labelOf(step);
    factors.add(label);
    for (const dimension of dimensions) factors.add(`${dimension}|${label}`);
    if (step.properties) {
      const properties = JSON.parse(step.properties) as Record<string, string>;
      for (const [key, value] of Object.entries(properties)) {
        factors.add(`property:${key.slice(0, 200)}=${value.slice(0, 200)}`);
      }
    }
  }
  for (const dimension of dimensions) factors.add(dimension);
  return factors;
}

function expectedTables(custom: boolean) {
  const tables = new Map<string, { convertedWith: number; droppedWith: number }>();
  let converted = 0;
  for (const customer of CUSTOMER_LIST) {
    if (customer.orderedAt !== null) converted++;
    for (const factor of factorsOf(customer, custom)) {
      const table = tables.get(factor) ?? { convertedWith: 0, droppedWith: 0 };
      if (customer.orderedAt !== null) table.convertedWith++;
      else table.droppedWith++;
      tables.set(factor, table);
    }
  }
  return { tables, converted, dropped: CUSTOMER_LIST.length - converted };
}

function expectedPaths(custom: boolean): Map<string, number> {
  const paths = new Map<string, number>();
  for (const customer of CUSTOMER_LIST) {
    if (customer.orderedAt !== null) continue;
    const path = JSON.stringify(interval(customer, custom).slice(0, 3).map(labelOf));
    paths.set(path, (paths.get(path) ?? 0) + 1);
  }
  return paths;
}

// ---- the answers -------------------------------------------------------------------------------------------

/** The fields both why-drop answers share, as the contract types them. */
type Answer = Pick<
  RouteResponse<typeof getStageFunnelWhyDrop>,
  'converted' | 'dropped' | 'testedFactors' | 'factors' | 'paths'
>;
type AnswerFactor = Answer['factors'][number];

/** The same keys as {@link factorsOf}. */
function keyOf({ factor }: AnswerFactor): string {
  switch (factor.kind) {
    case 'event':
    case 'page':
      return `${factor.kind}:${factor.name}`;
    case 'property':
      return `property:${factor.key}=${factor.value}`;
    case 'customer':
      return `${factor.dimension}=${factor.value}`;
    case 'segment_touchpoint':
      return `${factor.dimension}=${factor.value}|${factor.touchpoint.kind}:${factor.touchpoint.name}`;
  }
}

let ch: TestClickHouse;
let app: ReturnType<typeof buildQueryApp>;
const PERIOD = { from: '2026-01-05', to: '2026-01-15', window: '7d' };

beforeAll(async () => {
  ch = await openTestClickHouse();
  await upsertProject(ch.client, {
    projectId: PROJECT,
    name: PROJECT,
    writeKey: 'wk_whydrop',
    apiKeyHash: hashApiKey(API_KEY),
    allowedOrigins: [],
  });
  for (const projectId of [PROJECT, OTHER]) {
    const { rows, redelivered, links } = storedRows(projectId);
    // The other project's customers all drop: a leak would change every count.
    await insertTouchpoints(ch.client, projectId === PROJECT ? rows : rows.filter((r) => r.stage !== 5));
    await insertTouchpoints(ch.client, redelivered);
    await insertIdentityLinks(ch.client, links);
  }
  app = buildQueryApp({
    logger: testLogger(),
    clickhouse: ch.client,
    webhooks: webhooksFromEnv(loadQueryEnv(TEST_WEBHOOK_ENV)),
    apiKeyOwners: () => [{ projectId: PROJECT, apiKeyHash: hashApiKey(API_KEY) }],
  });
}, 120_000);

afterAll(async () => {
  await app?.close();
  await ch?.close();
});

const headers = { authorization: `Bearer ${API_KEY}` };
const getStage = (query: string) =>
  app.inject({ method: 'GET', url: `/v1/projects/${PROJECT}/funnel/stages/why-drop?${query}`, headers });
const postCustom = (body: Record<string, unknown>) =>
  app.inject({ method: 'POST', url: `/v1/projects/${PROJECT}/funnels/why-drop`, headers, payload: body });
const CUSTOM_FUNNEL = { ...PERIOD, steps: CUSTOM_STEPS.map((event) => ({ event: [event] })) };
const stageQuery = new URLSearchParams({
  ...PERIOD,
  stage: 'selection',
  factors: '500',
  dimensions: 'os,country',
});

function checkAgainstReading(answer: Answer, custom: boolean) {
  const expected = expectedTables(custom);
  expect({ converted: answer.converted, dropped: answer.dropped }).toEqual({
    converted: expected.converted,
    dropped: expected.dropped,
  });
  // The planted cause comes out on top, over-represented among the droppers.
  expect(keyOf(answer.factors[0] as AnswerFactor)).toBe('os=Android|page:/shipping');
  expect(answer.factors[0]?.significant).toBe(true);
  expect(answer.factors[0]?.oddsRatio).toBeLessThan(1);
  // Every factor answered has the 2×2 table and odds ratio of the reading.
  const answered = new Map(answer.factors.map((f) => [keyOf(f), f]));
  for (const factor of answer.factors) {
    const table = expected.tables.get(keyOf(factor));
    expect(table, keyOf(factor)).toBeDefined();
    const full = {
      convertedWith: table?.convertedWith as number,
      droppedWith: table?.droppedWith as number,
      convertedWithout: expected.converted - (table?.convertedWith as number),
      droppedWithout: expected.dropped - (table?.droppedWith as number),
    };
    expect(factor, keyOf(factor)).toMatchObject(full);
    const statistics = factorStatistics(full);
    expect(factor.oddsRatio).toBeCloseTo(statistics.oddsRatio, 9);
    expect(factor.confidenceInterval.lower).toBeCloseTo(statistics.confidenceInterval.lower, 9);
  }
  // Every factor of the reading with the support was tested (nothing is cut at these sizes).
  const supported = [...expected.tables.values()].filter((t) => t.convertedWith + t.droppedWith >= 20);
  expect(answer.testedFactors).toBe(supported.length);
  expect(answered.size).toBe(Math.min(500, supported.length));
  // The factors that are independent of the outcome by construction are not significant after correction.
  const noise = [
    'country=DE',
    'country=FR',
    'country=US',
    'page:/faq',
    'event:Coupon Viewed',
    'property:coupon=A',
    'property:coupon=B',
    'property:payment=card',
    'property:payment=paypal',
    'event:Checkout Started',
    'page:/home',
  ];
  for (const key of noise) {
    expect(answered.get(key), key).toBeDefined();
    expect(answered.get(key)?.significant, key).toBe(false);
  }
  // The planted factor's parts carry its signal too.
  expect(answered.get('page:/shipping')?.significant).toBe(true);
  expect(answered.get('os=Android')?.significant).toBe(true);
  // Hostile property keys are plain factors, cut to 200 characters.
  expect(answered.get('property:__proto__=x')?.droppedWith).toBe(
    expected.tables.get('property:__proto__=x')?.droppedWith,
  );
  expect(answered.has(`property:${'k'.repeat(200)}=${'v'.repeat(200)}`)).toBe(true);
  // The droppers' paths: counts and shares of the reading, most common first.
  const paths = expectedPaths(custom);
  expect(answer.paths.length).toBe(Math.min(10, paths.size));
  for (const path of answer.paths) {
    expect(path.customers, JSON.stringify(path.touchpoints)).toBe(
      paths.get(JSON.stringify(path.touchpoints)),
    );
    expect(path.share).toBeCloseTo(path.customers / expected.dropped, 12);
  }
  expect(answer.paths[0]?.customers).toBe(Math.max(...paths.values()));
  return answered;
}

describe('GET /funnel/stages/why-drop', () => {
  it("finds the planted cause at selection → purchase, with the reading's tables, and no noise", async () => {
    const response = await getStage(stageQuery.toString());
    expect(response.statusCode, response.body).toBe(200);
    const answer = response.json() as Answer;
    const answered = checkAgainstReading(answer, false);
    // The populations are the stage funnel's own counts.
    const funnel = await app.inject({
      method: 'GET',
      url: `/v1/projects/${PROJECT}/funnel/stages?${new URLSearchParams(PERIOD)}`,
      headers,
    });
    const stages = funnel.json().stages as { customers: number }[];
    expect(answer.converted).toBe(stages[4]?.customers);
    expect(answer.converted + answer.dropped).toBe(stages[3]?.customers);
    // A repeat of a stage-2 event in the interval is a factor of the stage funnel.
    expect(answered.has('event:Product Viewed')).toBe(true);
  });

  it('answers every mode, and an entry filter narrows the cohort', async () => {
    for (const mode of ['ordered', 'strict']) {
      const response = await getStage(`${stageQuery}&mode=${mode}`);
      expect(response.statusCode, response.body).toBe(200);
    }
    // A derived dimension goes through the customer model, asked now: buyers of January 2026 have been silent for
    // more than 90 days, so they are `lost`, the others `potential` (docs/customers.md).
    const typed = await getStage(
      `${new URLSearchParams({ ...PERIOD, stage: 'selection', dimensions: 'type' })}&factors=500`,
    );
    expect(typed.statusCode, typed.body).toBe(200);
    const types = (typed.json() as Answer).factors.filter((f) => f.factor.kind === 'customer');
    expect(types.map((f) => keyOf(f)).sort()).toEqual(['type=lost', 'type=potential']);
    const android = await getStage(`${stageQuery}&os=Android`);
    expect(android.statusCode, android.body).toBe(200);
    const androidCustomers = CUSTOMER_LIST.filter((c) => c.os === 'Android');
    expect(android.json().converted).toBe(androidCustomers.filter((c) => c.orderedAt !== null).length);
    expect(android.json().dropped).toBe(androidCustomers.filter((c) => c.orderedAt === null).length);
  });

  it('counts the funnel’s stage range: ordered from selection, where the whole journey counts nobody', async () => {
    // Nobody has an evaluation touchpoint, so the whole journey's ordered funnel stops everyone before selection;
    // from selection on, everyone is counted there, and the reading (reached mode's intervals) holds as it is.
    const whole = await getStage(`${stageQuery}&mode=ordered`);
    expect(whole.statusCode, whole.body).toBe(200);
    expect(whole.json()).toMatchObject({ converted: 0, dropped: 0, fromStage: 'discovery' });
    const range = `${stageQuery}&mode=ordered&fromStage=selection&toStage=purchase`;
    const response = await getStage(range);
    expect(response.statusCode, response.body).toBe(200);
    const answer = response.json() as Answer;
    expect(answer).toMatchObject({
      mode: 'ordered',
      fromStage: 'selection',
      toStage: 'purchase',
      stage: 'selection',
      nextStage: 'purchase',
    });
    checkAgainstReading(answer, false);
    const funnel = await app.inject({
      method: 'GET',
      url: `/v1/projects/${PROJECT}/funnel/stages?${new URLSearchParams({ ...PERIOD, mode: 'ordered', fromStage: 'selection', toStage: 'purchase' })}`,
      headers,
    });
    const stages = funnel.json().stages as { stage: string; customers: number }[];
    expect(stages.map((s) => s.stage)).toEqual(['selection', 'purchase']);
    expect(answer.converted).toBe(stages[1]?.customers);
    expect(answer.converted + answer.dropped).toBe(stages[0]?.customers);
  });

  it('refuses a bad stage, oversized limits and hostile parameters, naming the field', async () => {
    const base = new URLSearchParams(PERIOD).toString();
    const cases: [string, string][] = [
      [`${base}`, 'stage'],
      [`${base}&stage=advocacy`, 'stage'],
      [`${base}&stage=checkout`, 'stage'],
      [`${base}&stage=selection&factors=501`, 'factors'],
      [`${base}&stage=selection&factors=ten`, 'factors'],
      [`${base}&stage=selection&minSupport=0`, 'minSupport'],
      [`${base}&stage=selection&pathLength=6`, 'pathLength'],
      [`${base}&stage=selection&paths=1000000`, 'paths'],
      [`${base}&stage=selection&dimensions=interest`, 'dimensions.0'],
      [
        `${base}&stage=selection&dimensions=${encodeURIComponent("trait:x'); DROP TABLE touchpoints; --")}`,
        'dimensions.0',
      ],
      [`${base}&stage=selection&dimensions=${'os,'.repeat(8)}os`, 'dimensions'],
      [`${base}&stage=selection&dimensions=os,os`, 'dimensions'],
      [`${base}&stage=selection&dimensions=trait:plan,trait:tier`, 'dimensions'],
      [`${base}&stage=selection&mode=sideways`, 'mode'],
      // The stage and the one after it are both the range's.
      [`${base}&stage=selection&fromStage=purchase`, 'stage'],
      [`${base}&stage=purchase&fromStage=selection&toStage=purchase`, 'stage'],
      [`${base}&stage=selection&fromStage=purchase&toStage=selection`, 'toStage'],
      [`${base}&stage=selection&toStage=${'x'.repeat(5000)}`, 'toStage'],
      [`${base}&stage=selection&__proto__=1`, '__proto__'],
    ];
    for (const [query, field] of cases) {
      const response = await getStage(query);
      expect(response.statusCode, query).toBe(400);
      expect(
        response.json().errors.map((e: { field: string }) => e.field),
        query,
      ).toContain(field);
    }
    // Hostile values where values are allowed reach the engine as parameters and match nothing.
    const hostile = await getStage(
      `${base}&stage=selection&country=${encodeURIComponent("' OR 1=1 --")}&dimensions=trait:plan`,
    );
    expect(hostile.statusCode, hostile.body).toBe(200);
    expect(hostile.json()).toMatchObject({ converted: 0, dropped: 0, factors: [], paths: [] });
  });
});

describe('POST /funnels/why-drop', () => {
  it('finds the planted cause at step 2 → 3, leaving out the funnel’s own step events', async () => {
    const response = await postCustom({
      ...CUSTOM_FUNNEL,
      step: 2,
      factors: 500,
      dimensions: ['os', 'country'],
    });
    expect(response.statusCode, response.body).toBe(200);
    const answer = response.json() as Answer;
    const answered = checkAgainstReading(answer, true);
    expect(answered.has('event:Product Viewed')).toBe(false);
    const funnel = await app.inject({
      method: 'POST',
      url: `/v1/projects/${PROJECT}/funnels`,
      headers,
      payload: CUSTOM_FUNNEL,
    });
    const steps = funnel.json().steps as { customers: number }[];
    expect(answer.converted).toBe(steps[2]?.customers);
    expect(answer.converted + answer.dropped).toBe(steps[1]?.customers);
  });

  it('answers the default dimensions and limits, and says which were used', async () => {
    const response = await postCustom({ ...CUSTOM_FUNNEL, step: 1 });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().limits).toEqual({
      factors: 50,
      minSupport: 20,
      pathLength: 3,
      paths: 10,
      dimensions: ['device', 'os', 'browser', 'country', 'channel'],
      events: 100,
      propertyKeys: 10,
      valuesPerKey: 10,
      segmentTouchpointPairs: 200,
    });
    // Step 1 → 2: everyone added to cart a minute after viewing, so nobody dropped.
    expect(response.json()).toMatchObject({ converted: CUSTOMERS, dropped: 0 });
  });

  it('refuses a bad step, oversized limits and hostile fields, naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...CUSTOM_FUNNEL }, 'step'],
      [{ ...CUSTOM_FUNNEL, step: 0 }, 'step'],
      [{ ...CUSTOM_FUNNEL, step: 3 }, 'step'],
      [{ ...CUSTOM_FUNNEL, step: 25 }, 'step'],
      [{ ...CUSTOM_FUNNEL, step: 1.5 }, 'step'],
      [{ ...CUSTOM_FUNNEL, step: '1' }, 'step'],
      [{ ...CUSTOM_FUNNEL, step: 1, factors: 10_000 }, 'factors'],
      [{ ...CUSTOM_FUNNEL, step: 1, pathLength: 0 }, 'pathLength'],
      [{ ...CUSTOM_FUNNEL, step: 1, paths: -1 }, 'paths'],
      [{ ...CUSTOM_FUNNEL, step: 1, minSupport: 1e12 }, 'minSupport'],
      [{ ...CUSTOM_FUNNEL, step: 1, dimensions: ['interest'] }, 'dimensions.0'],
      [{ ...CUSTOM_FUNNEL, step: 1, dimensions: 'os' }, 'dimensions'],
      [{ ...CUSTOM_FUNNEL, step: 1, breakdown: 'country' }, 'breakdown'],
      [
        { ...CUSTOM_FUNNEL, step: 1, steps: [{ event: ['x'], properties: [{ property: "'; --", eq: 1 }] }] },
        'steps',
      ],
    ];
    for (const [body, field] of cases) {
      const response = await postCustom(body);
      expect(response.statusCode, JSON.stringify(body).slice(0, 200)).toBe(400);
      // An unknown key is reported on the body itself, naming the key in its message.
      const errors = response.json().errors as { field: string; message: string }[];
      const named = errors.some(
        (e) => e.field === field || e.field.startsWith(`${field}.`) || e.message.includes(`"${field}"`),
      );
      expect(named, `${JSON.stringify(errors)} for ${field}`).toBe(true);
    }
    // Hostile values in a step's filter are parameters: the funnel is empty, the answer fine.
    const hostile = await postCustom({
      ...CUSTOM_FUNNEL,
      step: 1,
      steps: [{ event: ["Product Viewed' OR 1=1 --"] }, { pagePath: ['/%_*\\'] }],
      dimensions: ['trait:plan'],
    });
    expect(hostile.statusCode, hostile.body).toBe(200);
    expect(hostile.json()).toMatchObject({ converted: 0, dropped: 0, factors: [], paths: [] });
  });
});
