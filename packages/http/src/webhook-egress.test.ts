import { describe, expect, it } from 'vitest';
import { classifyAddress, WebhookEgress } from './webhook-egress.ts';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['fe80::1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'shared'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    // IPv4 inside IPv6: judged by the IPv4 host they reach.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['64:ff9b::192.168.0.1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['::127.0.0.1', 'reserved'],
    ['not an address', 'reserved'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['2606:4700::1111', 'public'],
    ['::ffff:8.8.8.8', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(classifyAddress(address)).toBe(kind);
  });
});

describe('WebhookEgress.urlRefusal (at rule save)', () => {
  const egress = new WebhookEgress();
  it.each([
    'http://127.0.0.1/hook',
    'http://2130706433/hook',
    'http://0x7f000001/hook',
    'http://0x7f.1/hook',
    'http://0177.0.0.1/hook',
    'http://127.1/hook',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[0:0:0:0:0:0:0:1]/hook',
    'http://localhost:8080/hook',
    'http://LOCALHOST./hook',
    'http://api.localhost/hook',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://10.0.0.5/hook',
    'https://192.168.0.1:8443/hook',
    'http://0.0.0.0:80/',
    'http://[fe80::1]/',
    'http://user:pw@127.0.0.1/hook',
  ])('refuses %s', (url) => {
    expect(egress.urlRefusal(url)).toMatch(/WAYMARK_WEBHOOK_ALLOW/);
  });

  it.each([
    'https://hooks.slack.com/services/T/B/x',
    'https://8.8.8.8/hook',
    'https://[2606:4700::1111]/hook',
    // A name is judged at delivery, by what it resolves to.
    'https://internal.example/hook',
  ])('lets %s through', (url) => {
    expect(egress.urlRefusal(url)).toBeUndefined();
  });

  it('lets the ranges the operator allows through, and only them', () => {
    const allowing = new WebhookEgress([
      { network: '127.0.0.1', prefix: 32, family: 'ipv4' },
      { network: '10.0.0.0', prefix: 8, family: 'ipv4' },
    ]);
    expect(allowing.urlRefusal('http://127.0.0.1:9000/hook')).toBeUndefined();
    expect(allowing.urlRefusal('http://[::ffff:127.0.0.1]/hook')).toBeUndefined();
    expect(allowing.urlRefusal('http://localhost/hook')).toBeUndefined();
    expect(allowing.urlRefusal('http://10.9.9.9/hook')).toBeUndefined();
    expect(allowing.urlRefusal('http://127.0.0.2/hook')).toMatch(/loopback/);
    expect(allowing.urlRefusal('http://192.168.0.1/hook')).toMatch(/private/);
  });
});

describe('WebhookEgress.lookup (at delivery)', () => {
  const resolve = (egress: WebhookEgress, host: string, all: boolean) =>
    new Promise<{ error: Error | null; address: unknown }>((done) =>
      egress.lookup(host, { all }, (error, address) => done({ error, address })),
    );

  it('refuses a name that resolves to loopback, in both lookup forms', async () => {
    const egress = new WebhookEgress();
    for (const all of [true, false]) {
      const { error } = await resolve(egress, 'localhost', all);
      expect(error).toMatchObject({ code: 'WEBHOOK_EGRESS_REFUSED' });
      expect(error?.message).toMatch(/loopback/);
    }
  });

  it('answers the checked address when allowed', async () => {
    const egress = new WebhookEgress([
      { network: '127.0.0.0', prefix: 8, family: 'ipv4' },
      { network: '::1', prefix: 128, family: 'ipv6' },
    ]);
    const single = await resolve(egress, 'localhost', false);
    expect(single.error).toBeNull();
    expect(['127.0.0.1', '::1']).toContain(single.address);
    const every = await resolve(egress, 'localhost', true);
    expect(every.error).toBeNull();
    expect(Array.isArray(every.address) && every.address.length > 0).toBe(true);
  });
});
