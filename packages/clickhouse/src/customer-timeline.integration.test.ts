import { STAGE_NAMES } from '@waymark/journey';
import { describe, expect, it } from 'vitest';
import { queryCustomerTimeline, type TimelineTouchpoint } from './customer-timeline.query.ts';
import { customerResolver, MINUTE, storedOnce, usePopulation } from './journey-population.fixture.ts';

/*
 * Timelines read page by page against timelines computed here from the generated data: each message once
 * (the last copy, as FINAL reads), every raw key of the customer, sessions by the rule of decision 0011.
 */

const T0 = Date.UTC(2024, 2, 1);
const PROJECT = 'timeline_main';
const store = usePopulation({
  projectId: PROJECT,
  otherProjectId: 'timeline_other',
  customers: 60,
  start: T0,
});
const population = store.population;

function expectedTimelines(): Map<string, TimelineTouchpoint[]> {
  const customerOf = customerResolver(population, PROJECT);
  const stored = storedOnce(population, PROJECT);
  const byTime = (a: (typeof stored)[number], b: (typeof stored)[number]) =>
    a.touchpoint.timestamp - b.touchpoint.timestamp ||
    (a.touchpoint.messageId < b.touchpoint.messageId ? -1 : 1);
  // Sessions per raw key in time order: an SDK id different from the previous one, or without one, a
  // previous touchpoint that had one or lies more than 30 minutes back, starts a session.
  const sessionOf = new Map<string, string>();
  for (const rawKey of new Set(stored.map((tp) => tp.rawKey))) {
    let number = 0;
    let previous: (typeof stored)[number] | undefined;
    for (const tp of stored.filter((t) => t.rawKey === rawKey).sort(byTime)) {
      const id = tp.touchpoint.sessionId ?? '';
      const previousId = previous?.touchpoint.sessionId ?? '';
      const starts =
        previous === undefined ||
        (id !== ''
          ? id !== previousId
          : previousId !== '' || tp.touchpoint.timestamp - previous.touchpoint.timestamp > 30 * MINUTE);
      if (starts) number += 1;
      sessionOf.set(tp.touchpoint.messageId, id !== '' ? id : `${rawKey}#${number}`);
      previous = tp;
    }
  }
  const timelines = new Map<string, TimelineTouchpoint[]>();
  for (const tp of [...stored].sort(byTime).reverse()) {
    const customer = customerOf(tp.rawKey);
    const t = tp.touchpoint;
    timelines.set(customer, [
      ...(timelines.get(customer) ?? []),
      {
        messageId: t.messageId,
        rawKey: tp.rawKey,
        at: new Date(t.timestamp).toISOString(),
        type: t.type,
        event: t.event,
        name: t.name,
        pagePath: t.pagePath,
        stage: tp.stage === 0 ? null : (STAGE_NAMES[tp.stage - 1] ?? null),
        complaint: tp.complaint,
        revenue: tp.revenue,
        currency: tp.currency === '' ? null : tp.currency,
        channel: tp.channel,
        sessionId: sessionOf.get(t.messageId) as string,
        device: t.deviceType,
      },
    ]);
  }
  return timelines;
}

async function readAll(customer: string, limit: number) {
  const touchpoints: TimelineTouchpoint[] = [];
  let before: { at: number; messageId: string } | undefined;
  for (let page = 0; page < 500; page++) {
    const timeline = await queryCustomerTimeline(store.client, {
      projectId: PROJECT,
      customer,
      limit,
      ...(before !== undefined && { before }),
    });
    if (timeline === undefined) throw new Error(`no timeline for ${customer}`);
    touchpoints.push(...timeline.touchpoints);
    if (timeline.next === null) return { customer: timeline.customer, touchpoints };
    before = timeline.next;
  }
  throw new Error('paging did not end');
}

describe('queryCustomerTimeline', () => {
  it("reads every customer's touchpoints across its raw keys, newest first, page by page", async () => {
    const expected = expectedTimelines();
    for (const [customer, touchpoints] of expected) {
      expect(await readAll(customer, 4), customer).toEqual({ customer, touchpoints });
    }
    // Merged devices, the same millisecond across a page boundary and SDK sessions all occurred.
    const all = [...expected.values()];
    expect(all.some((t) => new Set(t.map((tp) => tp.rawKey)).size === 3)).toBe(true);
    expect(all.some((t) => t.some((tp, i) => tp.at === t[i + 1]?.at))).toBe(true);
    expect(all.some((t) => t.some((tp) => tp.sessionId.startsWith('sdk-')))).toBe(true);
  });

  it('finds the customer by any raw key, follows a relinked alias, and knows no strangers', async () => {
    const expected = expectedTimelines();
    expect(await readAll('a:phone-0', 100)).toEqual({
      customer: 'u:user-0',
      touchpoints: expected.get('u:user-0'),
    });
    // a:anon-3 was relinked from user 3 to user 0: its touchpoints moved with it.
    expect((await readAll('u:user-0', 100)).touchpoints.some((tp) => tp.rawKey === 'a:anon-3')).toBe(true);
    expect((await readAll('u:user-3', 100)).touchpoints.some((tp) => tp.rawKey === 'a:anon-3')).toBe(false);
    expect(
      await queryCustomerTimeline(store.client, { projectId: PROJECT, customer: 'u:nobody', limit: 5 }),
    ).toBeUndefined();
    // Customer 9 belongs to the other project.
    expect(
      await queryCustomerTimeline(store.client, { projectId: PROJECT, customer: 'a:anon-9', limit: 5 }),
    ).toBeUndefined();
  });

  it('starts before a given instant, and answers an empty last page for a known customer', async () => {
    const touchpoints = expectedTimelines().get('u:user-0') ?? [];
    const middle = touchpoints[Math.floor(touchpoints.length / 2)] as TimelineTouchpoint;
    const at = Date.parse(middle.at);
    const page = await queryCustomerTimeline(store.client, {
      projectId: PROJECT,
      customer: 'u:user-0',
      limit: 1000,
      before: { at, messageId: '' },
    });
    expect(page?.touchpoints).toEqual(touchpoints.filter((tp) => Date.parse(tp.at) < at));
    const beforeFirst = await queryCustomerTimeline(store.client, {
      projectId: PROJECT,
      customer: 'u:user-0',
      limit: 10,
      before: { at: T0 - 1, messageId: '' },
    });
    expect(beforeFirst).toEqual({ customer: 'u:user-0', touchpoints: [], next: null });
  });
});
