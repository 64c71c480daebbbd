import { ConfigError } from '@waymark/config';
import { describe, expect, it } from 'vitest';
import { loadProcessorEnv } from './env.ts';

describe('PROCESSOR_OVERLAP_WRITES', () => {
  it('overlaps writes unless told not to', () => {
    expect(loadProcessorEnv({}).PROCESSOR_OVERLAP_WRITES).toBe(true);
    expect(loadProcessorEnv({ PROCESSOR_OVERLAP_WRITES: '' }).PROCESSOR_OVERLAP_WRITES).toBe(true);
    expect(loadProcessorEnv({ PROCESSOR_OVERLAP_WRITES: 'false' }).PROCESSOR_OVERLAP_WRITES).toBe(false);
    expect(loadProcessorEnv({ PROCESSOR_OVERLAP_WRITES: '0' }).PROCESSOR_OVERLAP_WRITES).toBe(false);
    expect(loadProcessorEnv({ PROCESSOR_OVERLAP_WRITES: 'yes' }).PROCESSOR_OVERLAP_WRITES).toBe(true);
  });

  it.each([
    ['a word that is no flag', 'maybe'],
    ['a number other than 0 or 1', '2'],
    ['an oversized value', 'true'.repeat(10_000)],
    ['a value with a shell tail', 'true; rm -rf /'],
    ['a NUL byte', 'true\u0000'],
    ['another case', 'TRUE'],
  ])('refuses %s, naming the variable', (_, value) => {
    let thrown: unknown;
    try {
      loadProcessorEnv({ PROCESSOR_OVERLAP_WRITES: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const { issues } = thrown as ConfigError;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^PROCESSOR_OVERLAP_WRITES: /);
  });
});
