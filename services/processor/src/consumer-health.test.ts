import { describe, expect, it } from 'vitest';
import { ConsumerHealth } from './consumer-health.ts';

describe('ConsumerHealth', () => {
  const at = (start = 0) => {
    let now = start;
    return { clock: () => now, advance: (ms: number) => (now += ms) };
  };

  it('is ready when joined with nothing in flight, and not while the group is not joined', () => {
    const health = new ConsumerHealth(1000, at().clock);
    expect(health.checks(true)).toEqual({ consumer: true, store: true, progress: true });
    expect(health.checks(false).consumer).toBe(false);
  });

  it('names the store once its failures outlast the stall limit, and clears on success', () => {
    const time = at();
    const health = new ConsumerHealth(1000, time.clock);
    const batch = health.batchStarted();
    health.failed('store');
    time.advance(999);
    expect(health.checks(true)).toEqual({ consumer: true, store: true, progress: true });
    health.failed('store');
    time.advance(1);
    expect(health.checks(true)).toEqual({ consumer: true, store: false, progress: false });
    health.succeeded('store');
    health.batchEnded(batch);
    expect(health.checks(true)).toEqual({ consumer: true, store: true, progress: true });
  });

  it('says a batch stuck on something other than the store is no progress', () => {
    const time = at();
    const health = new ConsumerHealth(1000, time.clock);
    health.batchStarted();
    health.failed('kafka');
    time.advance(1500);
    expect(health.checks(true)).toEqual({ consumer: true, store: true, progress: false });
  });

  it('tracks two batches of one partition apart: the one being written and the next one', () => {
    const time = at();
    const health = new ConsumerHealth(1000, time.clock);
    const written = health.batchStarted();
    time.advance(600);
    const next = health.batchStarted();
    time.advance(600);
    health.batchEnded(next);
    expect(health.checks(true).progress).toBe(false);
    health.batchEnded(written);
    expect(health.checks(true).progress).toBe(true);
  });
});
