import type { Touchpoint } from '@waymark/events';

/** Where a visit came from, in the default channel grouping marketers know from web analytics. */
export const CHANNELS = [
  'direct',
  'organic search',
  'paid search',
  'social',
  'email',
  'referral',
  'campaign',
] as const;
export type Channel = (typeof CHANNELS)[number];

const SEARCH_ENGINES =
  /(^|\.)(google|bing|duckduckgo|yahoo|baidu|yandex|ecosia|startpage|qwant|naver|seznam|brave)\.[a-z.]+$/;
/** utm_source values name engines without a domain ("google") or with one ("google.com"). */
const SEARCH_SOURCES =
  /^(google|bing|duckduckgo|yahoo|baidu|yandex|ecosia|startpage|qwant|naver|seznam|brave)(\.|$)/;
const WEBMAIL = /(^|\.)(mail\.google\.com|outlook\.live\.com|outlook\.office\.com|mail\.yahoo\.com)$/;
const SOCIAL_NETWORKS =
  /(^|\.)(facebook\.com|fb\.com|instagram\.com|t\.co|twitter\.com|x\.com|linkedin\.com|lnkd\.in|reddit\.com|pinterest\.[a-z.]+|tiktok\.com|youtube\.com|youtu\.be|threads\.net|mastodon\.social|bsky\.app|news\.ycombinator\.com)$/;
const PAID_SEARCH_MEDIA = /^(cpc|ppc|paid[-_ ]?search|sem)$/;
const SOCIAL_MEDIA = /^(social|paid[-_ ]?social|social[-_ ]?(paid|network|media)|sm)$/;
const EMAIL_MEDIA = /^(e[-_ ]?mail|newsletter)$/;

function hostOf(url: string | null): string | null {
  if (!url) return null;
  try {
    const host = new URL(url).hostname.toLowerCase();
    return host.startsWith('www.') ? host.slice(4) : host;
  } catch {
    return null;
  }
}

/**
 * The channel of a touchpoint, from its campaign fields first (what the marketer tagged), then its click
 * id, then its referrer. A referrer on the page's own host is navigation inside the site, so direct.
 */
export function channelOf(
  t: Pick<
    Touchpoint,
    'campaignSource' | 'campaignMedium' | 'campaignName' | 'clickId' | 'pageReferrer' | 'pageUrl'
  >,
): Channel {
  const medium = t.campaignMedium?.trim().toLowerCase() ?? '';
  const source = t.campaignSource?.trim().toLowerCase() ?? '';
  if (PAID_SEARCH_MEDIA.test(medium)) return 'paid search';
  if (SOCIAL_MEDIA.test(medium)) return 'social';
  if (EMAIL_MEDIA.test(medium) || EMAIL_MEDIA.test(source)) return 'email';
  if (medium || source || t.campaignName) {
    if (SEARCH_SOURCES.test(source)) return medium === 'organic' ? 'organic search' : 'paid search';
    if (
      SOCIAL_NETWORKS.test(source) ||
      /^(facebook|instagram|twitter|linkedin|tiktok|reddit)$/.test(source)
    ) {
      return 'social';
    }
    return 'campaign';
  }
  if (t.clickId) return 'paid search';
  const referrer = hostOf(t.pageReferrer);
  if (referrer === null || referrer === hostOf(t.pageUrl)) return 'direct';
  if (WEBMAIL.test(referrer)) return 'email';
  if (SEARCH_ENGINES.test(referrer)) return 'organic search';
  if (SOCIAL_NETWORKS.test(referrer)) return 'social';
  return 'referral';
}
