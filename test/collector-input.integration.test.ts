import { beforeAll, describe, expect, it } from 'vitest';
import {
  basicAuth,
  createTestProject,
  postBatch,
  type TestProject,
  usePipeline,
} from './support/pipeline.ts';

// Bad input at the collector's front door, against the real stack: every case gets the documented 4xx
// with a problem body, none a 5xx, and the collector keeps serving afterwards.
const stack = usePipeline();
let project: TestProject;

beforeAll(async () => {
  project = await createTestProject(stack.clickhouse);
});

async function post(path: string, body: string, headers: Record<string, string>) {
  const response = await fetch(new URL(path, stack.collectorUrl), { method: 'POST', headers, body });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    body: text ? JSON.parse(text) : undefined,
    headers: response.headers,
  };
}

describe('collector input handling', () => {
  const json = () => ({ 'content-type': 'application/json', authorization: basicAuth(project.writeKey) });

  it('answers 400 to malformed JSON', async () => {
    const r = await post('/v1/batch', '{"batch": [', json());
    expect(r.status).toBe(400);
    expect(r.type).toContain('application/problem+json');
    expect(r.body.code).toBe('INVALID_BODY');
  });

  it('answers 400 when the envelope has the wrong shape', async () => {
    for (const body of ['[]', '"text"', 'null', '{"batch": "nope"}', '{"batch": []}', '{}']) {
      const r = await post('/v1/batch', body, json());
      expect(r.status, body).toBe(400);
      expect(r.body.code, body).toBe('INVALID_BODY');
    }
  });

  it('answers 401 to a missing or unknown write key', async () => {
    const event = JSON.stringify({ batch: [{ type: 'track', event: 'X', anonymousId: 'a' }] });
    const none = await post('/v1/batch', event, { 'content-type': 'application/json' });
    expect([none.status, none.body.code]).toEqual([401, 'MISSING_WRITE_KEY']);
    const unknown = await post('/v1/batch', event, {
      'content-type': 'application/json',
      authorization: basicAuth('wk_nope'),
    });
    expect([unknown.status, unknown.body.code]).toEqual([401, 'UNKNOWN_WRITE_KEY']);
    const garbage = await post('/v1/batch', event, {
      'content-type': 'application/json',
      authorization: 'Basic %%%not-base64',
    });
    expect(garbage.status).toBe(401);
  });

  it('accepts the write key in the body as well', async () => {
    const r = await post(
      '/v1/batch',
      JSON.stringify({
        writeKey: project.writeKey,
        batch: [{ type: 'track', event: 'X', anonymousId: 'a' }],
      }),
      { 'content-type': 'application/json' },
    );
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(1);
  });

  it('answers 413 to a request over 500 KB', async () => {
    const events = Array.from({ length: 20 }, (_, i) => ({
      type: 'track',
      event: 'X',
      anonymousId: `a${i}`,
      properties: { pad: 'x'.repeat(30 * 1024) },
    }));
    const r = await post('/v1/batch', JSON.stringify({ batch: events }), json());
    expect(r.status).toBe(413);
    expect(r.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('rejects an event over 32 KB and accepts the rest of its batch', async () => {
    const r = await postBatch(stack.collectorUrl, project.writeKey, {
      batch: [
        { type: 'track', event: 'Big', anonymousId: 'a', properties: { pad: 'x'.repeat(40 * 1024) } },
        { type: 'track', event: 'Small', anonymousId: 'a' },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(1);
    expect(r.body.rejected?.length).toBe(1);
  });

  it('answers 400 with reasons on a single-event endpoint with wrong types or missing ids', async () => {
    const wrongType = await post('/v1/track', JSON.stringify({ event: 42, anonymousId: ['a'] }), json());
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.code).toBe('INVALID_EVENT');
    expect(wrongType.body.rejected[0].errors.length).toBeGreaterThan(0);
    const noIds = await post('/v1/identify', JSON.stringify({ traits: { email: 'x@example.com' } }), json());
    expect(noIds.status).toBe(400);
    expect(noIds.body.detail).toMatch(/userId or anonymousId/);
    const alias = await post('/v1/alias', JSON.stringify({ userId: 'u1' }), json());
    expect(alias.status).toBe(400);
  });

  it('stores hostile strings as data and keeps serving', async () => {
    const hostile = [
      "'; DROP TABLE touchpoints; --",
      '{userId:String}',
      '\u0000\u0001\u202e',
      '<img src=x onerror=alert(1)>',
      '../../etc/passwd',
      '😀'.repeat(100),
    ];
    const r = await postBatch(stack.collectorUrl, project.writeKey, {
      batch: hostile.map((s, i) => ({
        type: 'track',
        event: s,
        anonymousId: s || `h${i}`,
        properties: { [s]: s },
        context: { page: { path: s } },
      })),
    });
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(hostile.length);
    const health = await fetch(new URL('/health/live', stack.collectorUrl));
    expect(health.status).toBe(200);
  });

  it('accepts beacons sent as text/plain and refuses other media types', async () => {
    const body = JSON.stringify({
      writeKey: project.writeKey,
      batch: [{ type: 'page', anonymousId: 'beacon' }],
    });
    const beacon = await post('/v1/batch', body, { 'content-type': 'text/plain;charset=UTF-8' });
    expect(beacon.status).toBe(200);
    const xml = await post('/v1/batch', '<batch/>', { 'content-type': 'application/xml' });
    expect(xml.status).toBe(415);
    expect(xml.body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers 404 with a problem body for unknown routes', async () => {
    const r = await post('/v1/launch-missiles', '{}', json());
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('NOT_FOUND');
  });
});
