import { connect } from 'node:net';
import { createLogger } from '@waymark/logger';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ProblemError } from './problem.ts';
import { type ConnectionTimeouts, createServiceApp } from './service-app.ts';

const CATALOG = {
  INVALID: { status: 400, title: 'Invalid request' },
  NOT_FOUND: { status: 404, title: 'No such route' },
  INTERNAL: { status: 500, title: 'Internal error' },
} as const;

let app: FastifyInstance | undefined;

async function listening(connectionTimeouts?: ConnectionTimeouts): Promise<{ host: string; port: number }> {
  app = createServiceApp({
    name: 'test',
    logger: createLogger({ name: 'service-app-test', level: 'silent' }),
    readiness: () => ({}),
    problems: CATALOG,
    invalidRequestCode: 'INVALID',
    ...(connectionTimeouts === undefined ? {} : { connectionTimeouts }),
  });
  app.get('/things/:id', async () => ({ ok: true }));
  app.post('/things', async (request) => ({ got: request.body }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return { host: '127.0.0.1', port: address.port };
}

afterEach(async () => {
  await app?.close();
  app = undefined;
});

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  /** The server closed the connection after answering. */
  closed: boolean;
}

/** Writes raw bytes (`chunks`, one after another) and reads the answer until the server closes or times out. */
function rawRequest(
  target: { host: string; port: number },
  chunks: string[],
  { gapMs = 0, giveUpMs = 20_000 } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(target);
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${giveUpMs} ms: ${JSON.stringify(received)}`));
    }, giveUpMs);
    socket.on('data', (data) => {
      received += data.toString('utf8');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const [head = '', body = ''] = received.split('\r\n\r\n');
      const [statusLine = '', ...headerLines] = head.split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
        }),
      );
      resolve({
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: body ? (JSON.parse(body) as Record<string, unknown>) : {},
        closed: true,
      });
    });
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

const expectProblem = (answer: RawAnswer, status: number, code: string) => {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toContain('application/problem+json');
  expect(answer.body).toMatchObject({ status, code });
  expect(typeof answer.body.message).toBe('string');
};

describe('problem bodies', () => {
  it('carry a message (what Segment and RudderStack clients read) besides the RFC 9457 fields', () => {
    const withDetail = new ProblemError('INVALID', 400, 'Invalid request', 'batch: too long').toProblem();
    expect(withDetail).toMatchObject({
      title: 'Invalid request',
      detail: 'batch: too long',
      message: 'batch: too long',
    });
    expect(new ProblemError('INVALID', 400, 'Invalid request').toProblem().message).toBe('Invalid request');
  });
});

describe('requests refused before any route', () => {
  it('answers malformed HTTP with a problem and closes the connection', async () => {
    const target = await listening();
    expectProblem(await rawRequest(target, ['GARBAGE / HTTP/1.1\r\n\r\n']), 400, 'MALFORMED_REQUEST');
    expectProblem(
      await rawRequest(target, ['POST /things HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}']),
      400,
      'MALFORMED_REQUEST',
    );
  });

  it('answers headers or a URL over 16 KB with 431 as a problem', async () => {
    const target = await listening();
    const bigHeader = `GET /things/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`;
    expectProblem(await rawRequest(target, [bigHeader]), 431, 'HEADERS_TOO_LARGE');
    const longUrl = `GET /things?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`;
    expectProblem(await rawRequest(target, [longUrl]), 431, 'HEADERS_TOO_LARGE');
  });

  it('answers a URL that is not validly percent-encoded and an over-long path parameter as problems', async () => {
    await listening();
    const badUrl = await app?.inject({ method: 'GET', url: '/things/%E0%A4%A' });
    expect(badUrl?.statusCode).toBe(400);
    expect(badUrl?.headers['content-type']).toContain('application/problem+json');
    expect(badUrl?.json()).toMatchObject({ code: 'MALFORMED_REQUEST', message: expect.any(String) });
    const tooLong = await app?.inject({ method: 'GET', url: `/things/${'x'.repeat(500)}` });
    expect(tooLong?.statusCode).toBe(414);
    expect(tooLong?.headers['content-type']).toContain('application/problem+json');
    expect(tooLong?.json()).toMatchObject({ code: 'URI_TOO_LONG', message: expect.any(String) });
  });

  it('cuts a connection that trickles its body (slowloris) with a 408 problem', async () => {
    const target = await listening({ headersMs: 300, requestMs: 600, checkIntervalMs: 100 });
    const head =
      'POST /things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    // One byte every 100 ms would take 100 s for the declared body; the server must not wait for it.
    const answer = await rawRequest(target, [head, ...Array.from({ length: 1000 }, () => ' ')], {
      gapMs: 100,
    });
    expectProblem(answer, 408, 'REQUEST_TIMEOUT');
  });

  it('cuts a connection that trickles its headers', async () => {
    const target = await listening({ headersMs: 300, requestMs: 600, checkIntervalMs: 100 });
    const chunks = ['GET /things/1 HTTP/1.1\r\n', ...Array.from({ length: 1000 }, (_, i) => `X-${i}: y\r\n`)];
    expectProblem(await rawRequest(target, chunks, { gapMs: 100 }), 408, 'REQUEST_TIMEOUT');
  });
});
