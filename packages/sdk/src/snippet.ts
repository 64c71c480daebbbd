import { createWaymark } from './tracker.ts';
import type { Waymark } from './types.ts';

// The IIFE entry: `<script src=… data-write-key=… data-host=…>` initialises itself; the async loader's
// stub (an array of [method, ...args] calls) is replayed in order.
type Stub = Array<[keyof Waymark, ...unknown[]]>;
const w = window as unknown as { waymark?: Waymark | Stub };
const script = document.currentScript as HTMLScriptElement | null;
const calls = w.waymark;
if (!calls || Array.isArray(calls)) {
  const api = createWaymark(script?.src ? new URL(script.src).origin : undefined);
  w.waymark = api;
  const data = script?.dataset ?? {};
  if (data.writeKey) {
    const options: Record<string, unknown> = {};
    // data-batch-size="10" → batchSize: 10, data-auto-page="false" → false, a bare data-cookieless → true.
    for (const key in data) {
      let value: unknown = data[key];
      try {
        value = value === '' || JSON.parse(value as string);
      } catch {}
      options[key] = value;
    }
    api.init(options as { writeKey: string });
  }
  for (const [method, ...args] of calls ?? []) (api[method] as (...a: unknown[]) => void)?.(...args);
}
