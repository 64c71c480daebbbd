import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { registerConsole } from './console.ts';

const root = mkdtempSync(join(tmpdir(), 'waymark-console-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function builtConsole(): string {
  const dir = join(root, 'built');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><script type="module" src="/assets/index-abc123.js"></script>',
  );
  writeFileSync(join(dir, 'assets', 'index-abc123.js'), 'console.log("hi")');
  return dir;
}

describe('the console at /', () => {
  it('serves index.html uncached under a strict CSP and hashed assets for a year', async () => {
    const app = Fastify();
    registerConsole(app, builtConsole());
    const index = await app.inject({ url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toMatch(/^default-src 'self'(;|$)/);
    expect(index.body).toContain('/assets/index-abc123.js');

    const asset = await app.inject({ url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.body).toBe('console.log("hi")');
  });

  it("serves index.html for a page request to any of the console's own paths, never for the API's", async () => {
    const app = Fastify();
    const pages = registerConsole(app, builtConsole());
    app.setNotFoundHandler((request, reply) => pages(request, reply) ?? reply.code(404).send());
    const page = { accept: 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8' };
    for (const url of ['/flow', '/customers/u%3A42?from=2025-01-01', '/no/such/screen']) {
      const answer = await app.inject({ url, headers: page });
      expect(answer.statusCode, url).toBe(200);
      expect(answer.headers['content-security-policy'], url).toMatch(/^default-src 'self'(;|$)/);
      expect(answer.body, url).toContain('/assets/index-abc123.js');
    }
    expect((await app.inject({ url: '/v1/projects/p/nothing', headers: page })).statusCode).toBe(404);
    expect((await app.inject({ url: '/assets/missing.js', headers: page })).statusCode).toBe(404);
    expect((await app.inject({ url: '/flow', headers: { accept: 'application/json' } })).statusCode).toBe(
      404,
    );
  });

  it('serves nothing outside the built assets', async () => {
    const app = Fastify();
    registerConsole(app, builtConsole());
    for (const url of [
      '/assets/missing.js',
      '/assets/..%2Findex.html',
      '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    ]) {
      expect((await app.inject({ url })).statusCode, url).toBe(404);
    }
  });

  it('says how to build it when it was not built', async () => {
    const app = Fastify();
    registerConsole(app, join(root, 'never-built'));
    const answer = await app.inject({ url: '/' });
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(answer.body).toContain('pnpm --filter @waymark/console build');
    expect((await app.inject({ url: '/assets/index-abc123.js' })).statusCode).toBe(404);
  });
});
