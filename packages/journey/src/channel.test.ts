import { describe, expect, it } from 'vitest';
import { channelOf } from './channel.ts';

const none = {
  campaignSource: null,
  campaignMedium: null,
  campaignName: null,
  clickId: null,
  pageReferrer: null,
  pageUrl: 'https://shop.example/x',
};

describe('channelOf', () => {
  it.each([
    [{ campaignSource: 'google', campaignMedium: 'cpc' }, 'paid search'],
    [{ campaignSource: 'facebook', campaignMedium: 'paid_social' }, 'social'],
    [{ campaignSource: 'newsletter', campaignMedium: 'email' }, 'email'],
    [{ campaignSource: 'newsletter' }, 'email'],
    [{ campaignSource: 'google', campaignMedium: 'organic' }, 'organic search'],
    [{ campaignSource: 'linkedin', campaignMedium: 'post' }, 'social'],
    [{ campaignSource: 'partner-blog', campaignMedium: 'banner' }, 'campaign'],
    [{ campaignName: 'winter-sale' }, 'campaign'],
    [{ clickId: 'abc' }, 'paid search'],
    [{ pageReferrer: 'https://www.google.com/' }, 'organic search'],
    [{ pageReferrer: 'https://duckduckgo.com/?q=boots' }, 'organic search'],
    [{ pageReferrer: 'https://t.co/xyz' }, 'social'],
    [{ pageReferrer: 'https://news.ycombinator.com/item?id=1' }, 'social'],
    [{ pageReferrer: 'https://mail.google.com/mail/u/0' }, 'email'],
    [{ pageReferrer: 'https://some-blog.example/post' }, 'referral'],
    [{ pageReferrer: 'https://shop.example/cart' }, 'direct'],
    [{ pageReferrer: 'https://www.shop.example/cart' }, 'direct'],
    [{}, 'direct'],
    [{ pageReferrer: 'not a url' }, 'direct'],
  ])('%o → %s', (fields, channel) => {
    expect(channelOf({ ...none, ...fields })).toBe(channel);
  });

  it('prefers what the marketer tagged over the referrer', () => {
    expect(channelOf({ ...none, campaignMedium: 'email', pageReferrer: 'https://www.google.com/' })).toBe(
      'email',
    );
  });
});
