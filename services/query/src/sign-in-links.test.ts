import type { ClickHouseClient } from '@clickhouse/client';
import { TEST_WEBHOOK_ENV, testLogger } from '@waymark/testing';
import { describe, expect, it } from 'vitest';
import { buildQueryApp } from './app.ts';
import { loadQueryEnv } from './env.ts';
import { SIGN_IN_LINK_TTL_MS, SignInLinks } from './sign-in-links.ts';
import { webhooksFromEnv } from './start.ts';

const session = { projectId: 'shop', apiKey: 'wk_api_secret' };

describe('one-time sign-in links', () => {
  it('give the session once, and nothing after the TTL or for a token never issued', () => {
    let now = 1_000;
    const links = new SignInLinks(() => now);
    const once = links.issue(session);
    expect(once).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(links.redeem(once)).toEqual(session);
    expect(links.redeem(once)).toBeUndefined();

    const late = links.issue(session);
    now += SIGN_IN_LINK_TTL_MS;
    expect(links.redeem(late)).toBeUndefined();
    expect(links.redeem('never-issued')).toBeUndefined();
  });

  it('keep at most 100 unredeemed links, dropping the oldest', () => {
    const links = new SignInLinks();
    const tokens = Array.from({ length: 101 }, () => links.issue(session));
    expect(links.redeem(tokens[0] as string)).toBeUndefined();
    expect(links.redeem(tokens[1] as string)).toEqual(session);
    expect(links.redeem(tokens[100] as string)).toEqual(session);
  });
});

describe('POST /console/sign-in', () => {
  const app = () => {
    const links = new SignInLinks();
    const server = buildQueryApp({
      logger: testLogger(),
      // Signing in reads no store.
      clickhouse: {} as ClickHouseClient,
      webhooks: webhooksFromEnv(loadQueryEnv(TEST_WEBHOOK_ENV)),
      apiKeyOwners: () => [],
      signInLinks: links,
    });
    return { links, server };
  };

  it('answers the session once, uncached, then 401 SIGN_IN_LINK_INVALID', async () => {
    const { links, server } = app();
    const token = links.issue(session);
    const first = await server.inject({ method: 'POST', url: '/console/sign-in', payload: { token } });
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('no-store');
    expect(first.json()).toEqual(session);
    const again = await server.inject({ method: 'POST', url: '/console/sign-in', payload: { token } });
    expect(again.statusCode).toBe(401);
    expect(again.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(again.json()).toMatchObject({ code: 'SIGN_IN_LINK_INVALID' });
  });

  it('refuses malformed, oversized and hostile bodies with a 400 problem', async () => {
    const { server } = app();
    for (const payload of [
      {},
      { token: '' },
      { token: 'x'.repeat(101) },
      { token: 42 },
      { token: 'abc', projectId: 'other' },
      '{"token":',
      '{"__proto__":{"token":"x"}}',
    ]) {
      const answer = await server.inject({
        method: 'POST',
        url: '/console/sign-in',
        headers: { 'content-type': 'application/json' },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
      expect(answer.statusCode, JSON.stringify(payload)).toBe(400);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });
});
