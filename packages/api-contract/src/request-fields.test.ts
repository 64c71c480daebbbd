import { describe, expect, it } from 'vitest';
import { ConversionWindow, CustomerKey, IsoInstant } from './request-fields.ts';

describe('IsoInstant', () => {
  it("accepts the store's range only: 1900-01-01 to 2300-01-01", () => {
    for (const good of ['1900-01-01', '2299-12-31T23:59:59.999Z', '2300-01-01']) {
      expect(IsoInstant.safeParse(good).success, good).toBe(true);
    }
    for (const bad of ['0000-01-01', '1899-12-31T23:59:59.999Z', '2300-01-01T00:00:00.001Z', '9999-12-31']) {
      expect(IsoInstant.safeParse(bad).success, bad).toBe(false);
    }
  });
  it('reads dates as UTC midnight and date-times with their zone', () => {
    expect(IsoInstant.parse('2026-11-01').toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(IsoInstant.parse('2026-11-01T10:00:00+02:00').toISOString()).toBe('2026-11-01T08:00:00.000Z');
  });
  it('refuses naive date-times, nonsense and impossible dates', () => {
    for (const bad of ['2026-11-01T10:00:00', 'yesterday', '2026-13-01', '', '2026-02-30T00:00:00Z']) {
      expect(IsoInstant.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('ConversionWindow', () => {
  it('reads seconds and unit suffixes', () => {
    expect(ConversionWindow.parse('3600')).toBe(3600);
    expect(ConversionWindow.parse('90s')).toBe(90);
    expect(ConversionWindow.parse('15m')).toBe(900);
    expect(ConversionWindow.parse('2h')).toBe(7200);
    expect(ConversionWindow.parse('30d')).toBe(2_592_000);
  });
  it('refuses zero, negative, fractional, overlong and unknown units', () => {
    for (const bad of ['0', '-5', '1.5d', '367d', '10w', '9'.repeat(30), '1d;DROP']) {
      expect(ConversionWindow.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('CustomerKey', () => {
  it('takes any stored key, and refuses what no stored key can be', () => {
    for (const good of ['a:', 'u:nul\u0000id', 'u:🧭', 'u:\uFFFD', 'a:/?#%', `u:${'x'.repeat(598)}`]) {
      expect(CustomerKey.safeParse(good).success, good).toBe(true);
    }
    for (const bad of ['u:\uD800', 'a:x\uDC00', `u:${'x'.repeat(599)}`, 'x:1', '']) {
      expect(CustomerKey.safeParse(bad).success, bad).toBe(false);
    }
  });
});
