import type { Campaign } from './types.ts';

/** Segment's campaign fields and where they come from: `name` is utm_campaign; click ids keep their names. */
const UTM = ['source', 'medium', 'name', 'term', 'content'] as const;
const CLICK_IDS = ['gclid', 'fbclid', 'msclkid'] as const;

/** The campaign of a query string (`?utm_source=…`), or undefined when it carries none. */
export function campaignOf(search: string): Campaign | undefined {
  let campaign: Campaign | undefined;
  try {
    const query = new URLSearchParams(search);
    for (const key of [...UTM, ...CLICK_IDS]) {
      const value = query.get(
        (UTM as readonly string[]).includes(key) ? `utm_${key === 'name' ? 'campaign' : key}` : key,
      );
      if (value) (campaign ??= {})[key] = value;
    }
  } catch {}
  return campaign;
}
