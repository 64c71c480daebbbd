import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DevstackError } from './devstack-error.ts';
import { checkJava, ensureKafkaClasspath, parseJavaMajorVersion } from './kafka-classpath.ts';

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

function hasCode(code: string) {
  return (error: unknown) => error instanceof DevstackError && error.code === code;
}

describe('missing tools', () => {
  it('says Java is missing', async () => {
    await expect(checkJava('waymark-no-such-java')).rejects.toSatisfy(hasCode('JAVA_NOT_FOUND'));
  });

  it('says Maven is missing when the classpath is not cached yet', async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), 'waymark-classpath-test-'));
    try {
      await expect(ensureKafkaClasspath({ cacheDir, mavenCommand: 'waymark-no-such-mvn' })).rejects.toSatisfy(
        hasCode('MAVEN_NOT_FOUND'),
      );
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
