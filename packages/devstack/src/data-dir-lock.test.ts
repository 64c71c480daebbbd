import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lockDataDir, parseLockFile } from './data-dir-lock.ts';
import { DevstackError } from './devstack-error.ts';

describe('lockDataDir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'waymark-lock-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps a second owner out while the first holds the directory', async () => {
    const lock = await lockDataDir(dir);
    await expect(lockDataDir(dir)).rejects.toSatisfy(
      (error: unknown) => error instanceof DevstackError && error.code === 'KAFKA_DATA_DIR_IN_USE',
    );
    await lock.release();
    await lock.release();
    const again = await lockDataDir(dir);
    await again.release();
  });

  it('takes over the lock of a process that no longer runs', async () => {
    await writeFile(join(dir, 'devstack.lock'), '4194303\n'); // the highest pid Linux can hand out: not running
    const lock = await lockDataDir(dir);
    expect(parseLockFile(await readFile(join(dir, 'devstack.lock'), 'utf8'))).toEqual({
      owner: process.pid,
      broker: undefined,
    });
    await lock.setBroker(1234);
    expect(parseLockFile(await readFile(join(dir, 'devstack.lock'), 'utf8'))).toEqual({
      owner: process.pid,
      broker: 1234,
    });
    await lock.release();
    expect(existsSync(join(dir, 'devstack.lock'))).toBe(false);
  });

  it('takes over a lock whose owner is gone and whose broker pid is now another program', async () => {
    // pid 1 is never a Kafka broker on this directory; the owner pid does not run.
    await writeFile(join(dir, 'devstack.lock'), 'owner=4194303\nbroker=1\n');
    const lock = await lockDataDir(dir);
    await lock.release();
  });

  it('reads both lock formats', () => {
    expect(parseLockFile('4242\n')).toEqual({ broker: 4242 });
    expect(parseLockFile('owner=1\nbroker=2\n')).toEqual({ owner: 1, broker: 2 });
    expect(parseLockFile('owner=7\n')).toEqual({ owner: 7, broker: undefined });
    expect(parseLockFile('')).toEqual({ owner: undefined, broker: undefined });
  });
});
