import { describe, expect, it } from 'vitest';
import { ABANDONED_MS, createTabQueue, QUEUE_PREFIX, type RunExclusive } from './queue.ts';
import type { Store } from './storage.ts';
import type { WaymarkEvent } from './types.ts';

/** One origin's localStorage, shared by the "tabs" of a test. */
function sharedStore(): Store & { data: Record<string, string> } {
  const data: Record<string, string> = {};
  return {
    data,
    read: (key) => data[key] ?? null,
    write: (key, value) => {
      data[key] = value;
    },
    erase: (key) => delete data[key],
    list: () => Object.keys(data),
  };
}

const event = (messageId: string) => ({ messageId, type: 'track', event: 'X' }) as WaymarkEvent;
const ids = (events: readonly WaymarkEvent[]) => events.map((e) => e.messageId);
const now = () => 1_700_000_000_000;
const immediately: RunExclusive = (critical) => critical();

describe('tab queue', () => {
  it('persists each tab under its own key, so concurrent tabs never overwrite each other', () => {
    const store = sharedStore();
    const a = createTabQueue(store, 'wk', 'a', 100, immediately, now);
    const b = createTabQueue(store, 'wk', 'b', 100, immediately, now);
    a.append(event('a1'));
    b.append(event('b1'));
    a.append(event('a2'));
    expect(Object.keys(store.data).sort()).toEqual([`${QUEUE_PREFIX}wk.a`, `${QUEUE_PREFIX}wk.b`]);
    expect(ids(JSON.parse(store.data[`${QUEUE_PREFIX}wk.a`] as string).e)).toEqual(['a1', 'a2']);
    a.discard(new Set(['a1', 'a2']));
    expect(Object.keys(store.data)).toEqual([`${QUEUE_PREFIX}wk.b`]);
  });

  it("lets exactly one living tab take over a closed tab's events", () => {
    const store = sharedStore();
    const gone = createTabQueue(store, 'wk', 'gone', 100, immediately, now);
    gone.append(event('e1'));
    gone.append(event('e2'));
    gone.abandon();
    const b = createTabQueue(store, 'wk', 'b', 100, immediately, now);
    const c = createTabQueue(store, 'wk', 'c', 100, immediately, now);
    let woken = 0;
    b.reclaim(() => woken++);
    c.reclaim(() => woken++);
    expect(ids(b.pending)).toEqual(['e1', 'e2']);
    expect(c.pending).toEqual([]);
    expect(woken).toBe(1);
    expect(store.data[`${QUEUE_PREFIX}wk.gone`]).toBeUndefined();
  });

  it('leaves living tabs alone, but takes over a tab silent for an hour (crashed)', () => {
    const store = sharedStore();
    let clock = now();
    const alive = createTabQueue(store, 'wk', 'alive', 100, immediately, () => clock);
    alive.append(event('e1'));
    const other = createTabQueue(store, 'wk', 'other', 100, immediately, () => clock);
    other.reclaim();
    expect(other.pending).toEqual([]);
    clock += ABANDONED_MS + 1;
    other.reclaim();
    expect(ids(other.pending)).toEqual(['e1']);
  });

  it("never takes another project's events", () => {
    const store = sharedStore();
    const shop = createTabQueue(store, 'wk_shop', 'a', 100, immediately, now);
    shop.append(event('shop-1'));
    shop.abandon();
    const blog = createTabQueue(store, 'wk_blog', 'b', 100, immediately, now);
    blog.reclaim();
    expect(blog.pending).toEqual([]);
  });

  it('keeps the newest events when over its cap', () => {
    const store = sharedStore();
    const q = createTabQueue(store, 'wk', 'a', 3, immediately, now);
    for (const id of ['1', '2', '3', '4', '5']) q.append(event(id));
    expect(ids(q.pending)).toEqual(['3', '4', '5']);
  });

  it('returns from the back/forward cache with what other tabs left it', () => {
    const store = sharedStore();
    const a = createTabQueue(store, 'wk', 'a', 100, immediately, now);
    a.append(event('e1'));
    a.abandon();
    a.reopen();
    expect(ids(a.pending)).toEqual(['e1']);
    a.abandon();
    createTabQueue(store, 'wk', 'b', 100, immediately, now).reclaim();
    a.reopen();
    expect(a.pending).toEqual([]);
  });

  it('ignores unreadable stored queues', () => {
    const store = sharedStore();
    store.write(`${QUEUE_PREFIX}wk.broken`, '{not json');
    store.write(`${QUEUE_PREFIX}wk.odd`, '{"c":1,"e":"nope"}');
    const q = createTabQueue(store, 'wk', 'a', 100, immediately, now);
    q.reclaim();
    expect(q.pending).toEqual([]);
  });
});
