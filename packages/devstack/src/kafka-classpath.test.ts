import { describe, expect, it } from 'vitest';
import { parseJavaMajorVersion } from './kafka-classpath.ts';

describe('parseJavaMajorVersion', () => {
  it('reads modern and legacy version strings', () => {
    expect(parseJavaMajorVersion('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment')).toBe(
      17,
    );
    expect(parseJavaMajorVersion('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajorVersion('java version "1.8.0_392"')).toBe(8);
  });

  it('returns undefined for output it does not understand', () => {
    expect(parseJavaMajorVersion('command not found')).toBeUndefined();
  });
});
