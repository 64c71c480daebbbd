import type { Campaign } from './types.ts';

/** Segment's campaign fields: the first five come from utm_* (`name` from utm_campaign), click ids as named. */
const FIELDS = 'source medium name term content gclid fbclid msclkid'.split(' ') as Array<keyof Campaign>;

/** The campaign of a query string (`?utm_source=…`), or undefined when it carries none. */
export function campaignOf(search: string): Campaign | undefined {
  let campaign: Campaign | undefined;
  try {
    const query = new URLSearchParams(search);
    FIELDS.forEach((key, i) => {
      const value = query.get(i < 5 ? `utm_${key === 'name' ? 'campaign' : key}` : key);
      if (value) {
        campaign ??= {};
        campaign[key] = value;
      }
    });
  } catch {}
  return campaign;
}
