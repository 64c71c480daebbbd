// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { privacySignal, sendingAllowed } from './consent.ts';

afterEach(() => vi.unstubAllGlobals());

const browser = (signals: { globalPrivacyControl?: boolean; doNotTrack?: string | null }) =>
  vi.stubGlobal('navigator', { ...signals });

describe('consent', () => {
  it('reads Global Privacy Control and Do Not Track', () => {
    browser({});
    expect(privacySignal()).toBe(false);
    browser({ globalPrivacyControl: true });
    expect(privacySignal()).toBe(true);
    browser({ doNotTrack: '1' });
    expect(privacySignal()).toBe(true);
    browser({ doNotTrack: '0', globalPrivacyControl: false });
    expect(privacySignal()).toBe(false);
  });

  it('honours the signals unless the site chose not to', () => {
    browser({ globalPrivacyControl: true });
    expect(sendingAllowed(null, true)).toBe(false);
    expect(sendingAllowed(null, false)).toBe(true);
  });

  it("lets the visitor's explicit choice win over the signals", () => {
    browser({ globalPrivacyControl: true });
    expect(sendingAllowed('1', true)).toBe(true);
    browser({});
    expect(sendingAllowed('0', true)).toBe(false);
    expect(sendingAllowed('0', false)).toBe(false);
    expect(sendingAllowed(null, true)).toBe(true);
  });
});
