// @vitest-environment happy-dom
import { expect, it, vi } from 'vitest';
import { createWaymark } from './tracker.ts';
it('dbg', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const times: number[] = [];
  const t0 = Date.now();
  let n = 0;
  vi.stubGlobal('fetch', vi.fn(async () => { times.push(Date.now() - t0); n++; const r = new Response('{}', { status: n === 1 ? 503 : 200, headers: n === 1 ? { 'retry-after': '3' } : {} }); console.log('hdr', r.headers.get('retry-after'), r.status); return r; }));
  const w = createWaymark();
  w.init({ writeKey: 'dbg', host: 'https://c.example', autoPage: false });
  w.track('A');
  await w.flush();
  for (let i = 0; i < 100; i++) await vi.advanceTimersByTimeAsync(100);
  console.log('times', times);
  expect(1).toBe(1);
});
