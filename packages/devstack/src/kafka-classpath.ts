import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@waymark/logger';
import { isNotFound, runCommand, tail } from './command.ts';
import { DevstackError } from './devstack-error.ts';

/** `infra/kafka` of this repository: the pom that pins the Kafka version, and the broker's log4j2 config. */
export const KAFKA_INFRA_DIR = fileURLToPath(new URL('../../../infra/kafka/', import.meta.url));

/** Default cache of resolved classpaths (git-ignored). */
export const DEFAULT_CACHE_DIR = fileURLToPath(new URL('../../../.waymark/cache/kafka/', import.meta.url));

export const MIN_JAVA_MAJOR = 17;

export interface KafkaClasspathOptions {
  cacheDir?: string;
  infraDir?: string;
  mavenCommand?: string;
  logger?: Logger;
  /** Bound on the first, networked, Maven run. */
  mavenTimeoutMs?: number;
}

/** Java major version from `java -version` output (`"17.0.15"` → 17, `"1.8.0_392"` → 8). */
export function parseJavaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

export async function checkJava(javaCommand = 'java'): Promise<number> {
  let output: string;
  try {
    ({ output } = await runCommand(javaCommand, ['-version'], { timeoutMs: 30_000 }));
  } catch (error) {
    if (isNotFound(error)) {
      throw new DevstackError(
        'JAVA_NOT_FOUND',
        `'${javaCommand}' was not found on PATH. The local Kafka broker needs Java ${MIN_JAVA_MAJOR}+ ` +
          '(Debian: apt-get install openjdk-17-jre-headless), or point KAFKA_BROKERS at a running cluster.',
        { cause: error },
      );
    }
    throw error;
  }
  const major = parseJavaMajorVersion(output);
  if (major === undefined || major < MIN_JAVA_MAJOR) {
    throw new DevstackError(
      'JAVA_TOO_OLD',
      `Kafka 4 needs Java ${MIN_JAVA_MAJOR}+, '${javaCommand} -version' says: ${tail(output, 3)}`,
    );
  }
  return major;
}

function jarsOf(classpath: string): string[] {
  return classpath.split(':').filter((entry) => entry.length > 0);
}

/**
 * The broker's classpath. Maven resolves it once per version of the pom (network, ~seconds); after that
 * it is read from the cache file, so a start needs neither Maven nor the network while the jars are
 * still in the local Maven repository.
 */
export async function ensureKafkaClasspath(options: KafkaClasspathOptions = {}): Promise<string> {
  const infraDir = options.infraDir ?? KAFKA_INFRA_DIR;
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const pomPath = join(infraDir, 'pom.xml');
  const pom = await readFile(pomPath);
  const pomHash = createHash('sha256').update(pom).digest('hex').slice(0, 16);
  const classpathFile = join(cacheDir, `classpath-${pomHash}.txt`);

  if (existsSync(classpathFile)) {
    const classpath = (await readFile(classpathFile, 'utf8')).trim();
    const jars = jarsOf(classpath);
    if (jars.length > 0 && jars.every((jar) => existsSync(jar))) return classpath;
    options.logger?.info({ classpathFile }, 'cached Kafka classpath names missing jars; resolving again');
  }

  await mkdir(cacheDir, { recursive: true });
  const mavenCommand = options.mavenCommand ?? 'mvn';
  // Written to a temporary name and renamed, so a concurrent start never reads half a file.
  const partialFile = `${classpathFile}.${process.pid}.partial`;
  options.logger?.info({ pomPath }, 'resolving the Kafka broker jars with Maven (first start only)');
  const startedAt = Date.now();
  let result: Awaited<ReturnType<typeof runCommand>>;
  try {
    result = await runCommand(
      mavenCommand,
      ['-q', '-B', '-f', pomPath, 'dependency:build-classpath', `-Dmdep.outputFile=${partialFile}`],
      { timeoutMs: options.mavenTimeoutMs ?? 600_000 },
    );
  } catch (error) {
    if (isNotFound(error)) {
      throw new DevstackError(
        'MAVEN_NOT_FOUND',
        `'${mavenCommand}' was not found on PATH. Maven resolves the Kafka broker jars on the first start ` +
          '(Debian: apt-get install maven), or point KAFKA_BROKERS at a running cluster.',
        { cause: error },
      );
    }
    throw error;
  }
  if (result.code !== 0 || !existsSync(partialFile)) {
    await rm(partialFile, { force: true });
    throw new DevstackError(
      'MAVEN_RESOLVE_FAILED',
      `Maven could not resolve the Kafka broker jars from ${pomPath} ` +
        `(exit ${result.code ?? result.signal}):\n${tail(result.output)}`,
    );
  }
  await rename(partialFile, classpathFile);
  const classpath = (await readFile(classpathFile, 'utf8')).trim();
  options.logger?.info(
    { jars: jarsOf(classpath).length, ms: Date.now() - startedAt, classpathFile },
    'Kafka broker jars resolved',
  );
  return classpath;
}
