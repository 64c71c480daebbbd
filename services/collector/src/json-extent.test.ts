import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonExtent } from './json-extent.ts';

const nested = (levels: number) => {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = i % 2 ? [value] : { deeper: value };
  return value;
};

describe('jsonExtent', () => {
  it('counts the UTF-8 bytes of the JSON text exactly, for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const parsed: unknown = JSON.parse(JSON.stringify(value));
        const bytes = Buffer.byteLength(JSON.stringify(parsed));
        expect(jsonExtent(parsed, { maxDepth: 1000, maxBytes: 10_000_000 }).bytes).toBe(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('measures the depth of values far deeper than JSON.stringify can follow', () => {
    const deep = nested(200_000);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(jsonExtent(deep, { maxDepth: 32 }).depth).toBe(33);
    expect(jsonExtent(nested(31), { maxDepth: 32 }).depth).toBe(32);
    expect(jsonExtent({ a: 1, b: [] }, { maxDepth: 32 }).depth).toBe(2);
  });

  it('stops counting once past the byte limit', () => {
    const big = Array.from({ length: 10_000 }, () => 'x'.repeat(100));
    const { bytes } = jsonExtent(big, { maxDepth: 32, maxBytes: 1000 });
    expect(bytes).toBeGreaterThan(1000);
    expect(bytes).toBeLessThan(Buffer.byteLength(JSON.stringify(big)));
  });
});
