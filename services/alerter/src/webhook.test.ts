import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookEgress } from '@waymark/http';
import { afterAll, describe, expect, it } from 'vitest';
import {
  postWebhook,
  retryDelayMs,
  urlForLogs,
  verifyWebhookSignature,
  webhookBody,
  webhookSignature,
} from './webhook.ts';

describe('webhook signature', () => {
  it('is HMAC-SHA256 over timestamp.body, verifiable within the tolerance only', () => {
    const body = '{"id":"ar_x.1.firing"}';
    const signature = webhookSignature('0123456789abcdef', 1_700_000_000, body);
    // echo -n '1700000000.{"id":"ar_x.1.firing"}' | openssl dgst -sha256 -hmac 0123456789abcdef
    expect(signature).toMatch(/^v1=[0-9a-f]{64}$/);
    const check = (overrides: Partial<Parameters<typeof verifyWebhookSignature>[0]>) =>
      verifyWebhookSignature({
        secret: '0123456789abcdef',
        body,
        timestamp: '1700000000',
        signature,
        nowSeconds: 1_700_000_100,
        ...overrides,
      });
    expect(check({})).toBe(true);
    expect(check({ body: `${body} ` })).toBe(false);
    expect(check({ secret: 'another-secret-1234' })).toBe(false);
    expect(check({ nowSeconds: 1_700_000_000 + 301 })).toBe(false);
    expect(check({ timestamp: '1700000001' })).toBe(false);
    expect(check({ signature: undefined })).toBe(false);
  });
});

describe('webhook body', () => {
  const payload = {
    id: 'ar_x.1.firing',
    type: 'alert.firing',
    severity: 'critical',
    summary: 'selection → purchase conversion fell 40.0%',
    rule: { id: 'ar_x', name: 'Checkout', kind: 'stage_conversion_drop' },
    rootCause: [{ value: 'mobile', relativeDrop: 0.8 }],
    links: { alerts: 'http://q/v1/projects/p/alerts?ruleId=ar_x' },
  } as const;
  it('is the payload itself, or a Slack message', () => {
    expect(JSON.parse(webhookBody(payload, 'json'))).toEqual(payload);
    const slack = JSON.parse(webhookBody(payload, 'slack'));
    expect(slack.text).toBe(':red_circle: [critical] Checkout: selection → purchase conversion fell 40.0%');
    expect(JSON.stringify(slack.blocks)).toContain('mobile: −80.0%');
  });
});

describe('delivery helpers', () => {
  it('backs off exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 10].map((n) => retryDelayMs(n, 30_000, 600_000))).toEqual([
      30_000, 60_000, 120_000, 240_000, 600_000,
    ]);
  });
  it('logs a webhook URL by origin only', () => {
    expect(urlForLogs('https://hooks.slack.com/services/T0/B0/secret-token')).toBe('https://hooks.slack.com');
  });
});

describe('postWebhook', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) await new Promise((resolve) => server.close(resolve));
  });
  /** A local receiver answering `status` (or never, for null); resolves to its URL. */
  async function receiver(status: number | null): Promise<string> {
    const server = createServer((request, response) => {
      request.resume();
      if (status !== null) response.writeHead(status, { location: 'http://127.0.0.1:1/elsewhere' }).end();
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  }
  const loopback = new WebhookEgress([{ network: '127.0.0.1', prefix: 32, family: 'ipv4' }]);
  const attempt = (url: string, egress: WebhookEgress, timeoutMs = 2000) =>
    postWebhook({
      url,
      secret: 'whsec_0123456789abcdef',
      body: '{}',
      idempotencyKey: 'k',
      nowSeconds: 1,
      timeoutMs,
      egress,
    });

  it('delivers to an allowed receiver', async () => {
    expect(await attempt(await receiver(204), loopback)).toEqual({ ok: true, status: 204 });
  });

  it('does not follow a redirect', async () => {
    expect(await attempt(await receiver(302), loopback)).toEqual({
      ok: false,
      error: 'HTTP 302 (redirects are not followed)',
    });
  });

  it('refuses for good an address and a name the policy refuses, before connecting', async () => {
    const url = await receiver(204);
    const refused = await attempt(url, new WebhookEgress());
    expect(refused).toMatchObject({
      ok: false,
      permanent: true,
      error: expect.stringMatching(/^refused: 127\.0\.0\.1 is a loopback/),
    });
    const byName = await attempt(url.replace('127.0.0.1', 'localhost'), new WebhookEgress());
    expect(byName).toMatchObject({ ok: false, permanent: true });
  });

  it('gives up on a receiver that does not answer within the timeout', async () => {
    expect(await attempt(await receiver(null), loopback, 200)).toEqual({ ok: false, error: 'timeout' });
  });
});
