import { describe, expect, it } from 'vitest';
import {
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
