import { describe, expect, it } from 'vitest';
import { bundleSdk, gzipSize, SIZE_BUDGET_BYTES } from '../scripts/bundle.ts';

// The budget of issue #3, checked on every test run (the build checks it too): a feature that does not fit
// has to pay for itself elsewhere in the snippet.
describe('waymark.js size', () => {
  it(`is at most ${SIZE_BUDGET_BYTES} bytes min+gzip`, async () => {
    const { iife, esm } = await bundleSdk();
    const size = gzipSize(iife);
    console.info(`waymark.js: ${iife.length} B min, ${size} B min+gzip`);
    expect(size).toBeLessThanOrEqual(SIZE_BUDGET_BYTES);
    expect(gzipSize(esm)).toBeLessThanOrEqual(SIZE_BUDGET_BYTES + 200);
  });

  it('keeps the public API and the wire field names out of property mangling', async () => {
    const { iife } = await bundleSdk();
    for (const name of [
      'init',
      'track',
      'identify',
      'optOut',
      'beforeSend',
      'writeKey',
      'messageId',
      'sentAt',
    ]) {
      expect(iife).toContain(name);
    }
  });
});
