import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  createTestProject,
  eventually,
  storedMessageIds,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';

// Hostile input at the collector's edge against the real stack (collector → Kafka → processor → ClickHouse):
// whatever arrives, the answer is never a 5xx and never hangs, every error is problem+json with a `message`,
// everything accepted gets stored (nothing accepted can wedge the processor), and valid events sent in
// between land exactly once.
const stack = usePipeline();
let project: TestProject;

beforeAll(async () => {
  project = await createTestProject(stack.clickhouse, 'hostile');
});

interface Answer {
  status: number;
  type: string | null;
  body: Record<string, unknown> & {
    accepted?: number;
    rejected?: Array<{ index: number; messageId: string | null; errors: string[] }>;
  };
}

async function send(
  body: string | Buffer,
  { path = '/v1/batch', headers = {} as Record<string, string>, writeKey = project.writeKey } = {},
): Promise<Answer> {
  const response = await fetch(new URL(path, stack.collectorUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(writeKey), ...headers },
    body: typeof body === 'string' ? body : new Uint8Array(body),
    // A hang fails the test instead of stalling it.
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  let parsed: Answer['body'];
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Answer['body']);
  } catch {
    parsed = { unparseable: text.slice(0, 200) };
  }
  return { status: response.status, type: response.headers.get('content-type'), body: parsed };
}

/** What every answer must be, whatever was sent. */
function expectWellFormed(answer: Answer, what: string) {
  expect(answer.status, what).toBeLessThan(500);
  if (answer.status >= 400) {
    expect(answer.type, what).toContain('application/problem+json');
    expect(answer.body, what).toMatchObject({ status: answer.status, code: expect.any(String) });
    expect(typeof answer.body.message, what).toBe('string');
  }
}

const storedRows = async (projectId: string) => {
  const result = await stack.clickhouse.query({
    query: `SELECT message_id, toUnixTimestamp64Milli(timestamp) AS ts, original_timestamp IS NULL AS no_original,
        sent_at IS NULL AS no_sent_at, revenue, JSONExtractKeys(properties) AS keys
      FROM touchpoints FINAL WHERE project_id = {projectId:String} ORDER BY message_id`,
    query_params: { projectId },
    format: 'JSONEachRow',
  });
  return result.json<{
    message_id: string;
    ts: number;
    no_original: number;
    no_sent_at: number;
    revenue: number;
    keys: string[];
  }>();
};

const valid = (messageId: string, fields: Record<string, unknown> = {}) => ({
  type: 'track',
  event: 'Product Viewed',
  userId: 'hostile-user',
  messageId,
  ...fields,
});

describe('events the store could not hold (issue 10)', () => {
  it('stores events with impossible times at their arrival, and the partition keeps moving', async () => {
    const p = await createTestProject(stack.clickhouse, 'times');
    const before = Date.now();
    // Written as text: `-0` and the exact literals matter, JSON.stringify would normalise them.
    const body = `{"batch":[
      {"type":"track","event":"Order Completed","userId":"u1","messageId":"t-9999","timestamp":"9999-12-31T23:59:59.999Z"},
      {"type":"track","event":"Order Completed","userId":"u1","messageId":"t-minus-zero","timestamp": -0},
      {"type":"track","event":"X","userId":"u1","messageId":"t-epoch","timestamp":0,"sentAt":0},
      {"type":"track","event":"X","userId":"u1","messageId":"t-1960","timestamp":"1960-06-01T00:00:00.001Z"},
      {"type":"track","event":"X","userId":"u1","messageId":"t-sent-9999","timestamp":"2026-01-01T00:00:00Z","sentAt":"9999-12-31T23:59:59.999Z"},
      {"type":"track","event":"X","userId":"u1","messageId":"t-original-9999","originalTimestamp":253402300799999}
    ]}`;
    const answer = await send(body, { writeKey: p.writeKey });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ accepted: 6, rejected: [] });
    expect((await send(JSON.stringify({ batch: [valid('t-after')] }), { writeKey: p.writeKey })).status).toBe(
      200,
    );

    const rows = await eventually(async () => {
      const stored = await storedRows(p.projectId);
      expect(stored.map((r) => r.message_id)).toEqual([
        't-1960',
        't-9999',
        't-after',
        't-epoch',
        't-minus-zero',
        't-original-9999',
        't-sent-9999',
      ]);
      return stored;
    });
    for (const row of rows) {
      expect(Number(row.ts), row.message_id).toBeGreaterThanOrEqual(before - 60_000);
      expect(Number(row.ts), row.message_id).toBeLessThanOrEqual(Date.now());
    }
    expect(rows.find((r) => r.message_id === 't-9999')?.no_original).toBe(1);
    expect(rows.find((r) => r.message_id === 't-sent-9999')?.no_sent_at).toBe(1);
  });

  it('rejects amounts no sum can hold, one event at a time, and keeps the rest of the batch', async () => {
    const p = await createTestProject(stack.clickhouse, 'amounts');
    const order = (messageId: string, revenue: unknown) => ({
      type: 'track',
      event: 'Order Completed',
      userId: 'big-spender',
      messageId,
      properties: { revenue, currency: 'EUR' },
    });
    const answer = await send(
      JSON.stringify({
        batch: [
          order('huge-1', 1.7976931348623157e308),
          order('huge-2', 1.7976931348623157e308),
          order('huge-text', '1e308'),
          order('fine', 42.5),
        ],
      }),
      { writeKey: p.writeKey },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(1);
    expect(answer.body.rejected?.map((r) => [r.messageId, r.errors])).toEqual([
      ['huge-1', ['properties.revenue: must be between -1000000000000000 and 1000000000000000']],
      ['huge-2', ['properties.revenue: must be between -1000000000000000 and 1000000000000000']],
      ['huge-text', ['properties.revenue: must be between -1000000000000000 and 1000000000000000']],
    ]);
    await eventually(async () =>
      expect((await storedRows(p.projectId)).map((r) => [r.message_id, r.revenue])).toEqual([['fine', 42.5]]),
    );
  });

  it('rejects deeply nested events with a reason instead of failing the whole batch', async () => {
    const p = await createTestProject(stack.clickhouse, 'depth');
    const deepObject = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const deepArray = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const body = `{"batch":[
      {"type":"track","event":"Deep","userId":"u","messageId":"deep-object","properties":{"x":${deepObject}}},
      ${JSON.stringify(valid('shallow'))},
      {"type":"track","event":"Deep","userId":"u","messageId":"deep-array","properties":{"x":${deepArray}}}
    ]}`;
    const answer = await send(body, { writeKey: p.writeKey });
    expect(answer.status).toBe(200);
    expect(answer.body.accepted).toBe(1);
    expect(answer.body.rejected).toEqual([
      { index: 0, messageId: 'deep-object', errors: ['event nests deeper than 32 levels'] },
      { index: 2, messageId: 'deep-array', errors: ['event nests deeper than 32 levels'] },
    ]);
    // The same through a single-event endpoint, and a deep batch context (merged into every event).
    const single = await send(`{"type":"track","event":"Deep","userId":"u","properties":${deepObject}}`, {
      path: '/v1/track',
      writeKey: p.writeKey,
    });
    expect([single.status, single.body.code]).toEqual([400, 'INVALID_EVENT']);
    const context = await send(`{"context":{"x":${deepObject}},"batch":[${JSON.stringify(valid('ctx'))}]}`, {
      writeKey: p.writeKey,
    });
    expect(context.body.rejected?.[0]?.errors).toEqual(['event nests deeper than 32 levels']);
    await eventually(async () =>
      expect(await storedMessageIds(stack.clickhouse, p.projectId)).toEqual(['shallow']),
    );
  });

  it('rejects ids with lone surrogates and stores other text with U+FFFD, readable by the store', async () => {
    const p = await createTestProject(stack.clickhouse, 'surrogates');
    const answer = await send(
      JSON.stringify({
        batch: [
          valid('lone-user', { userId: 'user-\ud800' }),
          valid('lone-anon', { userId: undefined, anonymousId: '\udc00' }),
          valid('lone-message-\ud800'),
          valid('lone-event', { event: 'Viewed \udbff' }),
          valid('lone-properties', { properties: { 'key-\ud800': 'value-\udc00', fine: '😀' } }),
        ],
      }),
      { writeKey: p.writeKey },
    );
    expect(answer.status).toBe(200);
    expect(answer.body.rejected?.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    for (const rejection of answer.body.rejected ?? []) {
      expect(rejection.errors.join()).toMatch(/lone UTF-16 surrogate/);
    }
    const [row] = await eventually(async () => {
      const rows = await storedRows(p.projectId);
      expect(rows.map((r) => r.message_id)).toEqual(['lone-properties']);
      return rows;
    });
    expect(row?.keys).toEqual(['key-\ufffd', 'fine']);
  });
});

describe('compressed bodies (issue 10)', () => {
  const batchOf = (messageId: string) => Buffer.from(JSON.stringify({ batch: [valid(messageId)] }));

  it('accepts gzip, deflate and br, and gzip sent as form-urlencoded (RudderStack node), and stores them', async () => {
    const p = await createTestProject(stack.clickhouse, 'compressed');
    const cases: Array<[string, Buffer, Record<string, string>]> = [
      ['gzip', gzipSync(batchOf('gzip')), { 'content-encoding': 'gzip' }],
      ['deflate', deflateSync(batchOf('deflate')), { 'content-encoding': 'deflate' }],
      ['br', brotliCompressSync(batchOf('br')), { 'content-encoding': 'br' }],
      [
        'rudder',
        gzipSync(batchOf('rudder')),
        { 'content-encoding': 'gzip', 'content-type': 'application/x-www-form-urlencoded' },
      ],
    ];
    for (const [name, body, headers] of cases) {
      const answer = await send(body, { headers, writeKey: p.writeKey });
      expect([answer.status, answer.body.accepted], name).toEqual([200, 1]);
    }
    await eventually(async () =>
      expect(await storedMessageIds(stack.clickhouse, p.projectId)).toEqual([
        'br',
        'deflate',
        'gzip',
        'rudder',
      ]),
    );
  });

  it('stops inflating a gzip bomb at the request limit and answers 413', async () => {
    const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(500 * 1024);
    const answer = await send(bomb, { headers: { 'content-encoding': 'gzip' } });
    expectWellFormed(answer, 'bomb');
    expect([answer.status, answer.body.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('measures each event inflated: a small compressed body cannot smuggle in an event over 32 KB', async () => {
    const big = valid('big', { properties: { pad: 'x'.repeat(40 * 1024) } });
    const body = gzipSync(Buffer.from(JSON.stringify({ batch: [big, valid('small-neighbour')] })));
    expect(body.length).toBeLessThan(32 * 1024);
    const answer = await send(body, { headers: { 'content-encoding': 'gzip' } });
    expect(answer.body.accepted).toBe(1);
    expect(answer.body.rejected?.[0]?.errors).toEqual([
      'event is larger than 32 KB; the limit is 32768 bytes',
    ]);
  });

  it('answers unknown encodings, zstd and corrupt bodies with problems', async () => {
    const cases: Array<[string, Buffer, number, string]> = [
      ['zstd', batchOf('z'), 415, 'UNSUPPORTED_ENCODING'],
      ['compress', batchOf('c'), 415, 'UNSUPPORTED_ENCODING'],
      ['gzip, br', batchOf('c'), 415, 'UNSUPPORTED_ENCODING'],
      ['gzip', batchOf('not-gzip'), 400, 'INVALID_BODY'],
      ['br', gzipSync(batchOf('wrong')), 400, 'INVALID_BODY'],
      ['gzip', gzipSync(batchOf('cut')).subarray(0, 20), 400, 'INVALID_BODY'],
    ];
    for (const [encoding, body, status, code] of cases) {
      const answer = await send(body, { headers: { 'content-encoding': encoding } });
      expectWellFormed(answer, encoding);
      expect([answer.status, answer.body.code], encoding).toEqual([status, code]);
    }
  });
});

interface RawAnswer {
  status: number;
  type: string | undefined;
  body: Record<string, unknown>;
}

/** Raw bytes to the collector's socket, for what no HTTP client would send; read until the server closes. */
function raw(request: string): Promise<RawAnswer> {
  const url = new URL(stack.collectorUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer: ${received}`));
    }, 20_000);
    socket.on('data', (data) => {
      received += data.toString('utf8');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const [head = '', body = ''] = received.split('\r\n\r\n');
      const type = /^content-type:\s*(.+)$/im.exec(head)?.[1];
      resolve({ status: Number(head.split(' ')[1]), type, body: body ? JSON.parse(body) : {} });
    });
    socket.on('connect', () => socket.end(request));
  });
}

describe('what the HTTP layer refuses (issue 10)', () => {
  it('answers malformed HTTP, oversized headers and bad URLs with problems', async () => {
    const cases: Array<[string, number, string]> = [
      ['POST /v1/batch HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n{}', 400, 'MALFORMED_REQUEST'],
      ['\u0000\u0001 / HTTP/9\r\n\r\n', 400, 'MALFORMED_REQUEST'],
      [`GET /v1/batch?${'q'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, 'HEADERS_TOO_LARGE'],
      [
        `POST /v1/batch HTTP/1.1\r\nHost: x\r\nCookie: ${'c'.repeat(20_000)}\r\n\r\n`,
        431,
        'HEADERS_TOO_LARGE',
      ],
      ['GET /v1/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400, 'MALFORMED_REQUEST'],
    ];
    for (const [request, status, code] of cases) {
      const answer = await raw(request);
      expect([answer.status, answer.body.code], request.slice(0, 40)).toEqual([status, code]);
      expect(answer.type).toContain('application/problem+json');
      expect(typeof answer.body.message).toBe('string');
    }
  });
});

// --- property-based: random hostile bodies, headers, encodings, sizes, depths, numbers and strings ---

/** Mostly what real senders send, sometimes something hostile: most events must get through to be stored. */
const usually = <T>(common: fc.Arbitrary<T>, rare: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 9, arbitrary: common }, { weight: 1, arbitrary: rare });

const hostileText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\ud800', 'a\udc00b', '\u0000', '😀', '', ' ', '\\', '"', '__proto__', 'constructor'),
  fc.string({ maxLength: 600 }),
);
const numberText = fc.oneof(
  fc.constantFrom(
    '-0',
    '1.7976931348623157e308',
    '-1.7976931348623157e308',
    '1e400',
    '5e-324',
    '9007199254740993',
    '1e15',
    '"1e308"',
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.integer().map(String),
);
const timeText = usually(
  fc.oneof(
    fc
      .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
      .map((d) => JSON.stringify(d.toISOString())),
    fc.integer({ min: 1.5e12, max: 1.9e12 }).map(String),
  ),
  fc.oneof(
    fc.constantFrom(
      '"9999-12-31T23:59:59.999Z"',
      '-0',
      '0',
      '-1',
      '1e300',
      '253402300799999',
      '"1900-01-01T00:00:00Z"',
      '"1960-06-01T00:00:00.001Z"',
      '"2026-01-01"',
      '"+275760-09-13T00:00:00.000Z"',
      '"not a time"',
      'null',
    ),
    fc.integer({ min: -1e15, max: 1e16 }).map(String),
    fc.date({ noInvalidDate: true }).map((d) => JSON.stringify(d.toISOString())),
  ),
);
const deepText = fc
  .tuple(fc.integer({ min: 1, max: 6000 }), fc.boolean())
  .map(([levels, array]) =>
    array ? `${'['.repeat(levels)}${']'.repeat(levels)}` : `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`,
  );
const objectText = usually(
  fc.oneof(
    fc.dictionary(hostileText, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }).map((d) => JSON.stringify(d)),
    fc.record({ revenue: numberText, total: numberText, price: numberText, quantity: numberText }).map(
      (amounts) =>
        `{${Object.entries(amounts)
          .map(([k, v]) => `"${k}":${v}`)
          .join(',')}}`,
    ),
  ),
  fc.oneof(
    deepText.map((deep) => `{"nested":${deep}}`),
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  ),
);
const idText = usually(
  fc.oneof(
    hostileText.map((s) => JSON.stringify(`id-${s}`)),
    fc.integer().map(String),
  ),
  fc.oneof(
    hostileText.map((s) => JSON.stringify(s)),
    numberText,
    fc.constantFrom('null', '{}', '[]', 'true', JSON.stringify('x'.repeat(300))),
  ),
);

let eventCounter = 0;
/** One event as JSON text; its messageId is unique to this run (or absent) so stored counts can be compared. */
const eventText = fc
  .record(
    {
      type: usually(
        fc.constantFrom('"track"', '"page"', '"identify"', '"group"', '"alias"', '"screen"'),
        fc.constantFrom('"launch"', '42', 'null'),
      ),
      event: hostileText.map((s) => JSON.stringify(s)),
      name: hostileText.map((s) => JSON.stringify(s)),
      userId: idText,
      anonymousId: idText,
      groupId: idText,
      previousId: idText,
      timestamp: timeText,
      sentAt: timeText,
      originalTimestamp: timeText,
      properties: objectText,
      traits: objectText,
      context: usually(
        fc.constant('{"page":{"url":"https://x.example/?utm_source=\\ud800","title":"\\udfff"}}'),
        objectText,
      ),
      messageSuffix: usually(fc.constant(''), fc.constantFrom('\ud800', null)),
    },
    { requiredKeys: ['type', 'userId', 'messageSuffix'] },
  )
  .map(({ messageSuffix, ...fields }) => {
    const entries = Object.entries(fields).map(([key, text]) => `"${key}":${text}`);
    if (messageSuffix !== null) {
      eventCounter += 1;
      entries.push(`"messageId":${JSON.stringify(`h-${randomUUID()}-${eventCounter}${messageSuffix}`)}`);
    }
    return `{${entries.join(',')}}`;
  });

const bodyText = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .array(eventText, { minLength: 1, maxLength: 8 })
      .map((events) => `{"batch":[${events.join(',')}]}`),
  },
  { weight: 3, arbitrary: eventText },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
);

const encode = (encoding: string | undefined, text: string): Buffer => {
  const bytes = Buffer.from(text);
  if (encoding === 'gzip') return gzipSync(bytes);
  if (encoding === 'deflate') return deflateSync(bytes);
  if (encoding === 'br') return brotliCompressSync(bytes);
  return bytes;
};

describe('the collector under random hostile requests', () => {
  it('never answers 5xx or hangs, answers errors as problems, stores what it accepted, and loses no valid event', async () => {
    const hostile = await createTestProject(stack.clickhouse, 'hostile-random');
    const sentinels = await createTestProject(stack.clickhouse, 'sentinels');
    const sentinelIds: string[] = [];
    let acceptedWithIds = 0;
    let acceptedWithout = 0;

    await fc.assert(
      fc.asyncProperty(
        bodyText,
        usually(
          fc.constantFrom('/v1/batch', '/v1/b', '/v1/import'),
          fc.constantFrom('/v1/track', '/v1/t', '/v1/identify', '/v1/alias', '/v1/page'),
        ),
        usually(
          fc.constantFrom(undefined, 'gzip', 'deflate', 'br'),
          fc.constantFrom('identity', 'GZIP', 'zstd', 'x-unknown', 'gzip, br'),
        ),
        usually(fc.constant(true), fc.constant(false)),
        usually(
          fc.constantFrom(
            'application/json',
            'text/plain;charset=UTF-8',
            'application/x-www-form-urlencoded',
          ),
          fc.constantFrom(
            'application/json; charset=utf-16',
            'application/xml',
            'multipart/form-data; boundary=x',
          ),
        ),
        async (text, path, encoding, encodeHonestly, contentType) => {
          const body = encodeHonestly ? encode(encoding?.toLowerCase(), text) : Buffer.from(text);
          const headers: Record<string, string> = { 'content-type': contentType };
          if (encoding !== undefined) headers['content-encoding'] = encoding;
          const answer = await send(body, { path, headers, writeKey: hostile.writeKey });
          expectWellFormed(answer, `${path} ${encoding} ${contentType} ${text.slice(0, 200)}`);
          if (answer.status === 200) {
            const accepted = answer.body.accepted ?? 0;
            // Count what must be stored: events with our unique messageIds are each stored once; the
            // others got a generated id each.
            const ids = (text.match(/"messageId":"h-/g) ?? []).length;
            const rejectedWithIds = (answer.body.rejected ?? []).filter((r) =>
              r.messageId?.startsWith('h-'),
            ).length;
            acceptedWithIds += ids - rejectedWithIds;
            acceptedWithout += accepted - (ids - rejectedWithIds);
          }

          // A valid event between the hostile ones must always get through.
          const id = `sentinel-${sentinelIds.length}`;
          sentinelIds.push(id);
          const sentinel = await send(JSON.stringify({ batch: [valid(id)] }), {
            writeKey: sentinels.writeKey,
          });
          expect(sentinel.status).toBe(200);
          expect(sentinel.body.accepted).toBe(1);
        },
      ),
      { numRuns: 100 },
    );

    await eventually(
      async () =>
        expect(await storedMessageIds(stack.clickhouse, sentinels.projectId)).toEqual(
          [...sentinelIds].sort(),
        ),
      { timeoutMs: 60_000 },
    );
    // Everything the collector accepted was storable: all of it is there, no record stopped the partition.
    await eventually(
      async () => {
        const stored = await storedMessageIds(stack.clickhouse, hostile.projectId);
        expect(stored.filter((id) => id.startsWith('h-'))).toHaveLength(acceptedWithIds);
        expect(stored.filter((id) => !id.startsWith('h-'))).toHaveLength(acceptedWithout);
      },
      { timeoutMs: 60_000 },
    );
  });
});
