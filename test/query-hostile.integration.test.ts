import {
  hashApiKey,
  insertIdentityLinks,
  insertTouchpoints,
  type StoredTouchpoint,
  upsertProject,
  writeAlertState,
} from '@waymark/clickhouse';
import { type Touchpoint, touchpointOf } from '@waymark/events';
import { INITIAL_ALERT_STATE, rawKeyOf } from '@waymark/journey';
import { buildQueryApp, loadQueryEnv, openApiDocument, webhooksFromEnv } from '@waymark/query';
import {
  openTestClickHouse,
  TEST_WEBHOOK_ENV,
  type TestClickHouse,
  testLogger,
  uniqueProjectId,
} from '@waymark/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * Stored data never makes a query fail, and no request does either. Hostile rows go straight into the store
 * through the real insert path (what the collector's bounds would refuse today, but an older collector, a
 * replay or a direct insert could have stored); then every route of the OpenAPI document, so a new route is
 * covered without editing this file, is asked with valid parameters (which must answer 2xx with finite
 * numbers) and with generated hostile ones (which must answer 2xx or a 4xx problem, never 5xx, never hang).
 */

let ch: TestClickHouse;
let app: ReturnType<typeof buildQueryApp>;
const projectId = uniqueProjectId('hostile');
const API_KEY = 'sk_hostile_secret';
const ADMIN_TOKEN = 'wat_hostile_secret';
/** The admin routes (decision 0030) are asked with the admin token, every other one with the API key. */
const authorization = (url: string) => `Bearer ${url.startsWith('/v1/admin/') ? ADMIN_TOKEN : API_KEY}`;
const HUGE = 1.7976931348623157e308;

/*
 * The ends of what the insert path stores: DateTime64(3) columns hold 1900-01-01 … 2299-12-31, but the
 * `seconds.millis` text insertTouchpoints writes is only read as epoch seconds with exactly 10 digits
 * (fewer are read as a date, more are refused: CANNOT_PARSE_DATETIME), so it stores
 * 2001-09-09T01:46:40Z … 2286-11-20T17:46:39.999Z.
 */
const FIRST_STORABLE = 1e12;
const LAST_STORABLE = 1e13 - 1;
const NOW = Date.parse('2026-06-15T12:00:00Z');

const deep = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Ids as the pipeline stores them: a lone surrogate has become U+FFFD on its way through Avro. */
const HOSTILE_IDS = [
  'big-spender',
  'debtor',
  'tiny',
  'nul\u0000id',
  'emoji 🧭👩‍👩‍👧',
  '\uFFFD\uFFFD\uFFFD',
  'slash/and?query#hash%25+plus',
  ' ',
  'x'.repeat(598),
];
/** Longer than a path may name (docs/api-errors.md): listed, but not addressable by path. */
const HUGE_ID = 'y'.repeat(5_000);

let message = 0;
function stored(
  fields: Partial<Touchpoint> & { userId?: string | null; anonymousId?: string | null },
  extra: Partial<StoredTouchpoint> = {},
): StoredTouchpoint {
  const touchpoint = touchpointOf({
    messageId: `h${message++}`,
    projectId,
    type: 'track',
    timestamp: NOW,
    receivedAt: NOW,
    ...fields,
  });
  return {
    touchpoint,
    rawKey: rawKeyOf(touchpoint),
    stage: 0,
    complaint: false,
    revenue: 0,
    currency: '',
    rulesetVersion: 1,
    channel: '',
    ...extra,
  };
}

const order = (userId: string, revenue: number, timestamp = NOW) =>
  stored(
    { userId, event: 'Order Completed', timestamp, properties: JSON.stringify({ revenue }) },
    { stage: 5, revenue, currency: 'EUR' },
  );

function hostileRows(): StoredTouchpoint[] {
  const rows = [
    // Two orders whose sum overflows a Float64, the reproduction.
    order('big-spender', HUGE),
    order('big-spender', HUGE),
    order('debtor', -HUGE),
    order('debtor', -0),
    order('tiny', 5e-324),
    order('tiny', Number.MIN_VALUE, NOW - 400 * 86_400_000),
    // The ends of what the engine stores, for timestamps.
    order('ancient', 10, FIRST_STORABLE),
    order('far-future', 10, LAST_STORABLE),
    stored({
      anonymousId: 'ancient-page',
      type: 'page',
      timestamp: FIRST_STORABLE,
      receivedAt: FIRST_STORABLE,
    }),
    stored({ anonymousId: 'future-page', type: 'page', timestamp: LAST_STORABLE, sentAt: LAST_STORABLE }),
    stored({ anonymousId: HUGE_ID, type: 'page', pageTitle: HUGE_ID }),
    // Empty ids: the raw key `a:`.
    stored({ anonymousId: '', userId: null, type: 'page', pagePath: '' }),
  ];
  for (const id of HOSTILE_IDS.slice(3)) {
    rows.push(
      stored(
        {
          anonymousId: id,
          type: 'page',
          pagePath: `/${id}`,
          pageUrl: `https://shop.example/${id}`,
          campaignSource: id,
          country: id,
          deviceType: id,
          browser: id,
          properties: JSON.stringify({ [id]: id, experiment: id, variant: id }),
        },
        { stage: 2, channel: id },
      ),
      stored({
        type: 'identify',
        anonymousId: id,
        userId: id,
        traits: JSON.stringify({ age: HUGE, income: 'NaN', interests: [id, id], [id]: id, plan: id }),
      }),
      order(id, 1e300),
    );
  }
  rows.push(
    stored({
      userId: 'nested',
      event: 'Product Viewed',
      properties: deep(5_000),
      traits: deep(5_000),
      context: deep(5_000),
    }),
    stored({
      type: 'identify',
      userId: 'nested',
      traits: JSON.stringify({ age: -1e308, gender: '\u0000', interests: 'a,'.repeat(5_000) }),
    }),
    stored({
      userId: 'huge-text',
      event: 'e'.repeat(30_000),
      properties: JSON.stringify({ k: 'v'.repeat(30_000) }),
    }),
  );
  return rows;
}

type Operation = { parameters?: Parameter[]; requestBody?: unknown };
type Parameter = { name: string; in: string; required?: boolean; schema?: ParameterSchema };
type ParameterSchema = { enum?: string[]; default?: unknown; examples?: string[]; type?: string };
interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly parameters: readonly Parameter[];
  readonly hasBody: boolean;
}

const ROUTES: Route[] = Object.entries(
  (openApiDocument() as { paths: Record<string, Record<string, Operation>> }).paths,
)
  .filter(([path]) => path.startsWith('/v1/projects/{projectId}') || path.startsWith('/v1/admin/'))
  .flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase() as Route['method'],
      path,
      parameters: op.parameters ?? [],
      hasBody: op.requestBody !== undefined,
    })),
  );

const FROM = '2026-01-01';
const TO = '2027-01-01';

const inject = (method: Route['method'], url: string, payload?: unknown) =>
  app.inject({
    method,
    url,
    headers: { authorization: authorization(url) },
    ...(payload === undefined ? {} : { payload: payload as string }),
  });

type Answer = Awaited<ReturnType<typeof inject>>;

const getJson = async (path: string) => (await inject('GET', `/v1/projects/${projectId}${path}`)).json();

/** A valid body per route that takes one: the test fails for a new body route until it is given one here. */
async function validBody(route: Route): Promise<unknown> {
  const window = { from: FROM, to: TO };
  const rule = {
    kind: 'stage_conversion_drop',
    name: 'Checkout',
    from: 'selection',
    to: 'purchase',
    window: '1d',
    conversionWindow: '1h',
    evaluateEvery: '1d',
    baseline: { type: 'trailing', windows: 3 },
    breakdown: 'device',
  };
  const steps = [{ type: 'page' }, { stage: 'purchase' }];
  switch (`${route.method} ${route.path.replace(/^\/v1\/(projects\/\{projectId\}|admin)/, '')}`) {
    case 'PUT /customer-model': {
      const current = await getJson('/customer-model');
      return { version: current.version + 1, model: current.model };
    }
    case 'PUT /stage-rules': {
      const current = await getJson('/stage-rules');
      return { ...current.ruleset, version: current.version + 1 };
    }
    case 'POST /stage-rules/dry-run':
      return { ruleset: (await getJson('/stage-rules')).ruleset };
    case 'POST /alert-rules':
    case 'PUT /alert-rules/{ruleId}':
      return rule;
    // Kept forever: a retention would delete the hostile rows the other routes are asked over.
    case 'PUT /data-retention':
      return { touchpointDays: null };
    case 'POST /alert-rules/backtest':
      return { rule, from: '2026-06-01', to: '2026-06-20' };
    case 'POST /alert-rules/{ruleId}/resolve': {
      // The rule of the routes before was deleted by then: a new one, with a firing incident to resolve.
      const created = await inject('POST', `/v1/projects/${projectId}/alert-rules`, rule);
      ruleId = created.json().id;
      const firing = {
        status: 'firing',
        incident: 1,
        severity: 'warning',
        firedAtMs: NOW,
        lastWindowEndMs: NOW,
      } as const;
      await writeAlertState(ch.client, { projectId, id: ruleId }, { ...INITIAL_ALERT_STATE, ...firing });
      return { incident: 1 };
    }
    case 'POST /funnels':
      return { ...window, steps, breakdown: 'country' };
    case 'POST /funnels/customers':
      return { ...window, steps, step: 2 };
    case 'POST /funnels/why-drop':
      return { ...window, steps, step: 1, dimensions: ['country', 'trait:plan'] };
    case 'POST /funnels/trend':
      return { ...window, steps, interval: 'week', timezone: 'Asia/Kathmandu' };
    case 'POST /experiments/compare':
      return { ...window, experiment: HOSTILE_IDS[4], steps };
    case 'POST /views':
      return { name: HOSTILE_IDS[4], path: '/', search: `?from=${FROM}&to=${TO}&country=${HOSTILE_IDS[6]}` };
    case 'PUT /views/{viewId}': {
      const current = (await getJson('/views')).views.find((v: { id: string }) => v.id === ids.viewId);
      return { version: current.version + 1, name: 'x'.repeat(100), path: '/kpis', search: '' };
    }
    case 'POST /dashboards':
      return { name: HOSTILE_IDS[6], tiles: [{ viewId: ids.viewId, width: 2 }] };
    case 'PUT /dashboards/{dashboardId}': {
      const current = await getJson(`/dashboards/${ids.dashboardId}`);
      return { version: current.version + 1, name: current.name, tiles: current.tiles };
    }
    case 'POST /dashboards/{dashboardId}/share-links':
      return { expiresInHours: 1 };
    case 'POST /projects':
      return { projectId: `${projectId}_created`, name: HOSTILE_IDS[4], allowedOrigins: ['*'] };
    case 'PATCH /projects/{projectId}':
      return { name: HOSTILE_IDS[4], allowedOrigins: ['https://shop.example'] };
    case 'POST /projects/{projectId}/keys/{kind}/rotate':
      return { graceSeconds: 60 };
    default:
      throw new Error(`no valid body for ${route.method} ${route.path}: add one to validBody`);
  }
}

let ruleId: string;
let erasureId: string;
let customerKeys: string[];
/**
 * A saved view, a dashboard of it and a share link of that, for the routes that name one; a DELETE removes
 * its own view and dashboard, so the routes after it still find theirs.
 */
const ids = { viewId: '', dashboardId: '', linkId: '' };
const doomed = { viewId: '', dashboardId: '' };

/** Every valid value of a query parameter worth asking, the first being the one used with the others. */
function queryValues(parameter: Parameter): string[] {
  const schema = parameter.schema ?? {};
  if (parameter.name === 'from') return [FROM, '1900-01-01'];
  if (parameter.name === 'to') return [TO, '2300-01-01'];
  if (parameter.name === 'dimension' || parameter.name === 'breakdown')
    return ['country', 'tier', 'type', 'age', 'income', 'interest', 'channel', 'device', 'trait:plan'];
  /*
   * The base request's stage is valid beside every example of fromStage (consideration) and toStage (purchase):
   * after the first stage (nobody drops there, the drill-down refuses it) and before the last (why-drop's k → k+1).
   */
  if (parameter.name === 'stage' && schema.enum) return ['selection', ...schema.enum];
  if (parameter.name === 'timezone') return ['UTC', 'Pacific/Chatham', 'Asia/Kathmandu'];
  if (schema.enum) return schema.enum;
  if (schema.examples) return schema.examples;
  if (schema.default !== undefined) return [String(schema.default)];
  return [];
}

/** Valid requests of a route: its required parameters, then each parameter's values in turn. */
function validRequests(route: Route): string[] {
  const pathParams = route.parameters.filter((p) => p.in === 'path' && p.name !== 'projectId');
  const paths =
    pathParams.length === 0
      ? [route.path]
      : pathParams[0]?.name === 'customer'
        ? customersFor(route).map((key) => route.path.replace('{customer}', encodeURIComponent(key)))
        : [
            route.path
              .replace('{ruleId}', ruleId)
              .replace('{viewId}', (route.method === 'DELETE' ? doomed : ids).viewId)
              .replace(
                '{dashboardId}',
                (route.method === 'DELETE' && !route.path.includes('{linkId}') ? doomed : ids).dashboardId,
              )
              .replace('{linkId}', ids.linkId)
              .replace('{index}', '0')
              .replace('{kind}', 'api-key')
              .replace('{erasureId}', erasureId),
          ];
  const query = route.parameters.filter((p) => p.in === 'query');
  const base = new Map(
    query.flatMap((p) => {
      const [first] = queryValues(p);
      return p.required && first !== undefined ? [[p.name, first] as const] : [];
    }),
  );
  const variants = [
    base,
    ...query.flatMap((p) => queryValues(p).map((v) => new Map([...base, [p.name, v]]))),
  ];
  // At most 400 calendar periods (docs/analytics/kpis.md): the whole store's range is asked by year, and
  // where a route has no years (the funnel trend), 400 months from either end of it.
  const interval = query.find((p) => p.name === 'interval');
  const byYear = interval?.schema?.enum?.includes('year') ?? false;
  return paths.flatMap((path) =>
    variants.map((params) => {
      const search = new URLSearchParams([...params]);
      const wide = params.get('from') === '1900-01-01' || params.get('to') === '2300-01-01';
      if (wide && byYear) search.set('interval', 'year');
      else if (wide && interval) {
        search.set('interval', 'month');
        if (params.get('from') === '1900-01-01') search.set('to', '1933-01-01');
        else search.set('from', '2267-01-01');
      }
      return `${path.replace('{projectId}', projectId)}?${search}`;
    }),
  );
}

const addressableKeys = () => customerKeys.filter((key) => key.length <= 600);

/**
 * The customers a route is asked about: every addressable one, except by an erasure, which would empty the
 * store the routes after it are checked over (test/erasure.integration.test.ts erases a customer with hostile ids).
 */
const customersFor = (route: Route) => (route.method === 'DELETE' ? ['u:erasure-probe'] : addressableKeys());

/** Every number in a JSON value, with its path. */
function numbersOf(value: unknown, path = '$'): Array<[string, number]> {
  if (typeof value === 'number') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbersOf(v, `${path}[${i}]`));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => numbersOf(v, `${path}.${k}`));
  return [];
}

function expectSound(response: Answer, what: string) {
  expect(response.statusCode, `${what}: ${response.body.slice(0, 300)}`).toBeLessThan(500);
  if (response.statusCode >= 400) {
    expect(response.headers['content-type'], what).toContain('application/problem+json');
    expect(response.json().code, what).toEqual(expect.any(String));
  } else if (String(response.headers['content-type']).includes('json')) {
    const infinite = numbersOf(response.json()).filter(([, n]) => !Number.isFinite(n));
    expect(infinite, what).toEqual([]);
  }
}

beforeAll(async () => {
  ch = await openTestClickHouse();
  await upsertProject(ch.client, {
    projectId,
    name: projectId,
    writeKey: `wk_${projectId}`,
    apiKeyHash: hashApiKey(API_KEY),
    allowedOrigins: [],
  });
  const owners = [{ projectId, apiKeyHash: hashApiKey(API_KEY) }];
  app = buildQueryApp({
    logger: testLogger(),
    clickhouse: ch.client,
    webhooks: webhooksFromEnv(loadQueryEnv(TEST_WEBHOOK_ENV)),
    apiKeyOwners: () => owners,
    adminTokenHashes: () => [hashApiKey(ADMIN_TOKEN)],
  });
  await insertTouchpoints(ch.client, hostileRows());
  await insertIdentityLinks(
    ch.client,
    HOSTILE_IDS.slice(3).map((id, i) => ({
      projectId,
      aliasKey: `a:${id}`,
      customerKey: `u:${id}`,
      linkedAt: NOW + i,
      messageId: `link${i}`,
    })),
  );
  const created = await inject('POST', `/v1/projects/${projectId}/alert-rules`, {
    kind: 'churn_risk',
    name: 'Churn',
  });
  expect(created.statusCode, created.body).toBe(201);
  ruleId = created.json().ruleId ?? created.json().id;
  const saveView = async () =>
    (await inject('POST', `/v1/projects/${projectId}/views`, { name: 'v', path: '/' })).json().id;
  const saveDashboard = async (viewId: string) =>
    (await inject('POST', `/v1/projects/${projectId}/dashboards`, { name: 'd', tiles: [{ viewId }] })).json()
      .id;
  ids.viewId = await saveView();
  ids.dashboardId = await saveDashboard(ids.viewId);
  doomed.viewId = await saveView();
  doomed.dashboardId = await saveDashboard(doomed.viewId);
  const link = `/v1/projects/${projectId}/dashboards/${ids.dashboardId}/share-links`;
  ids.linkId = (await inject('POST', link, { expiresInHours: 1 })).json().id;
  // An erasure of a key nothing is stored for, so `GET …/erasures/{erasureId}` has one to answer.
  const erasure = await inject('DELETE', `/v1/projects/${projectId}/customers/u%3Aerasure-probe`);
  expect(erasure.statusCode, erasure.body).toBe(202);
  erasureId = erasure.json().id;
  const listed = await inject('GET', `/v1/projects/${projectId}/customers?limit=1000`);
  expect(listed.statusCode, listed.body.slice(0, 300)).toBe(200);
  customerKeys = listed.json().customers.map((c: { customer: string }) => c.customer);
}, 180_000);

afterAll(async () => {
  await app?.close();
  await ch?.close();
});

describe('stored data never makes a query fail', () => {
  it('covers every project route and every admin route of the OpenAPI document', () => {
    expect(ROUTES.length).toBeGreaterThan(20);
    expect(ROUTES.filter((r) => r.path.startsWith('/v1/admin/')).length).toBe(5);
  });

  it('bounds revenue, so sums cannot overflow: the profile, segments and KPIs answer finite figures', async () => {
    const profile = await getJson(`/customers/${encodeURIComponent('u:big-spender')}`);
    expect(profile.purchases).toMatchObject({ orders: 2, revenue: 2e15, averageOrderValue: 1e15 });
    const debtor = await getJson(`/customers/${encodeURIComponent('u:debtor')}`);
    expect(debtor.purchases).toMatchObject({ orders: 2, revenue: -1e15 });
    const segments = await getJson('/segments?dimension=tier');
    expect(segments.segments.map((s: { revenue: unknown }) => s.revenue)).toEqual(
      segments.segments.map(() => expect.any(Number)),
    );
    const kpis = await getJson('/kpis?from=2026-06-01&to=2026-07-01&interval=month');
    expect(kpis.periods[0].kpis.revenue).toEqual(expect.any(Number));
    // big-spender 2, debtor 2, tiny 1 (its other order is a year earlier), one per hostile id.
    expect(kpis.periods[0].kpis.orders).toBe(5 + HOSTILE_IDS.slice(3).length);
  });

  it('finds every listed customer by its key, whatever characters it has', async () => {
    expect(customerKeys).toEqual(
      expect.arrayContaining([
        'a:',
        ...HOSTILE_IDS.map((id) => `u:${id}`),
        'a:ancient-page',
        'a:future-page',
      ]),
    );
    for (const key of addressableKeys()) {
      const answer = await inject('GET', `/v1/projects/${projectId}/customers/${encodeURIComponent(key)}`);
      expect([answer.statusCode, answer.json().customer], JSON.stringify(key).slice(0, 80)).toEqual([
        200,
        key,
      ]);
    }
    expect(customerKeys).toContain(`a:${HUGE_ID}`);
    const huge = await inject('GET', `/v1/projects/${projectId}/customers/a%3A${HUGE_ID}`);
    expect([huge.statusCode, huge.headers['content-type']]).toEqual([
      400,
      expect.stringContaining('problem+json'),
    ]);
  });

  it('refuses a key no stored key can equal with a 400 problem: lone surrogates, broken percent-encoding', async () => {
    for (const path of ['u%3A%ED%A0%80', 'u:%ED%A0%80', 'u:%F0%9F', 'u:%ZZ', 'u:%']) {
      const answer = await inject('GET', `/v1/projects/${projectId}/customers/${path}`);
      // fastify refuses a URL that is not valid percent-encoded UTF-8 before any route runs.
      expect(answer.statusCode, path).toBe(400);
    }
  });

  it('answers every route with valid parameters over hostile rows: 2xx, finite numbers', async () => {
    for (const route of ROUTES) {
      const body = route.hasBody ? await validBody(route) : undefined;
      for (const url of validRequests(route)) {
        const answer = await inject(route.method, url, body);
        const what = `${route.method} ${url.slice(0, 200)}`;
        expectSound(answer, what);
        expect(answer.statusCode, `${what}: ${answer.body.slice(0, 300)}`).toBeLessThan(300);
      }
    }
  });
});

const HOSTILE_VALUES = [
  // Dates: year 0, the ends of JavaScript's range, negative years, just outside the store's range.
  '0000-01-01',
  '+275760-09-13T00:00:00.000Z',
  '275760-09-13',
  '-000001-01-01T00:00:00Z',
  '-271821-04-20T00:00:00Z',
  '9999-12-31',
  '1899-12-31T23:59:59.999Z',
  '1900-01-01',
  '2300-01-01',
  '2300-01-01T00:00:00.001Z',
  '1970-01-01',
  '2026-02-30',
  '2026-01-01T00:00:00+14:00',
  '2026-01-01T00:00:00-12:00',
  // Windows, intervals, limits.
  '0',
  '-1',
  '1e9',
  '999999999d',
  '366d',
  'year',
  'quarter',
  'decade',
  '99999999999999999999',
  'NaN',
  '0x10',
  'Infinity',
  // Time zones, odd valid and invalid.
  'Pacific/Chatham',
  'Asia/Kathmandu',
  'Australia/Lord_Howe',
  'America/St_Johns',
  'Etc/GMT-14',
  'Etc/GMT+12',
  'Asia/Calcutta',
  'EST5EDT',
  'UCT',
  'etc/utc',
  'utc',
  'Mars/Olympus',
  'UTC+5',
  '../../etc/passwd',
  // Text.
  '',
  ' ',
  '\u0000',
  '\uD800',
  '🧭',
  "'; DROP TABLE touchpoints; --",
  '{projectId:String}',
  '__proto__',
  'constructor',
  'trait:__proto__',
  'trait:',
  `trait:${'k'.repeat(300)}`,
  'x'.repeat(5_000),
];

const hostileValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc
      .date({ min: new Date('1890-01-01'), max: new Date('2310-01-01'), noInvalidDate: true })
      .map((d) => d.toISOString()),
  },
);

/** A query string: the route's own parameters (sometimes repeated) and unknown ones, all hostile. */
const hostileQuery = (route: Route) =>
  fc
    .array(
      fc.tuple(
        fc.oneof(
          fc.constantFrom(
            ...route.parameters.filter((p) => p.in === 'query').map((p) => p.name),
            'from',
            'to',
          ),
          fc.constantFrom('__proto__', 'constructor', 'prototype', '__proto__[polluted]', 'unknown', ''),
        ),
        hostileValue,
      ),
      { maxLength: 8 },
    )
    .map((pairs) => new URLSearchParams(pairs).toString());

/** JSON text of a hostile body: any JSON, or a valid-looking one with hostile fields and `__proto__` keys. */
const hostileBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc
    .record({
      from: hostileValue,
      to: hostileValue,
      window: hostileValue,
      steps: fc.array(
        fc.dictionary(fc.constantFrom('type', 'event', 'stage', 'pagePath', '__proto__'), hostileValue),
        {
          maxLength: 25,
        },
      ),
      kind: fc.constantFrom(
        'stage_conversion_drop',
        'kpi_threshold',
        'volume_anomaly',
        'churn_risk',
        '__proto__',
      ),
      name: hostileValue,
      version: fc.oneof(fc.integer(), fc.double(), fc.constant(Number.MAX_SAFE_INTEGER)),
      experiment: hostileValue,
    })
    .map((body) => JSON.stringify(body).replace('{', '{"__proto__":{"polluted":true},')),
  fc.constantFrom('', '{', 'null', '[]', '"text"', deep(10_000), `{"from":"${'9'.repeat(10_000)}"}`),
);

/** A path parameter: hostile text, percent-encoded as a client would. */
const hostilePath = (route: Route) =>
  fc
    .tuple(
      fc.oneof(fc.constantFrom('a:', 'u:', 'ar_', ''), fc.constant('u:')),
      fc.oneof(hostileValue, fc.constantFrom(...HOSTILE_IDS)),
    )
    .map(([prefix, text]) =>
      route.path
        .replace('{projectId}', projectId)
        .replace(/\{\w+\}/g, encodeURIComponent(`${prefix}${text}`.replace(/\p{Cs}/gu, '\uFFFD'))),
    );

/** No request may hang: this bounds each one (generous; it detects a hang, it measures nothing). */
const HANG_MS = 30_000;

async function answerWithin(request: Promise<Answer>, what: string) {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HANG_MS} ms: ${what}`)), HANG_MS);
  });
  try {
    return await Promise.race([request, hang]);
  } finally {
    clearTimeout(timer);
  }
}

describe('hostile requests to every route', () => {
  it('answer 2xx or a 4xx problem, never 5xx, never hang, and pollute nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES).chain((route) =>
          fc.record({
            route: fc.constant(route),
            path: hostilePath(route),
            query: hostileQuery(route),
            body: hostileBody,
          }),
        ),
        async ({ route, path, query, body }) => {
          const url = `${path}?${query}`;
          const what = `${route.method} ${url.slice(0, 300)}`;
          const answer = await answerWithin(
            app.inject({
              method: route.method,
              url,
              headers: { authorization: authorization(url), 'content-type': 'application/json' },
              ...(route.method === 'GET' || route.method === 'DELETE' ? {} : { payload: body }),
            }),
            what,
          );
          expectSound(answer, what);
          expect(({} as Record<string, unknown>).polluted, what).toBeUndefined();
        },
      ),
      { numRuns: 400, seed: 10, endOnFailure: true },
    );
  });
});
