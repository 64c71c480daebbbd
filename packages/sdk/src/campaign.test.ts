import { describe, expect, it } from 'vitest';
import { campaignOf } from './campaign.ts';

describe('campaignOf', () => {
  it('maps utm_* to Segment campaign fields (utm_campaign → name)', () => {
    expect(
      campaignOf(
        '?utm_source=newsletter&utm_medium=email&utm_campaign=spring%20sale&utm_term=shoes&utm_content=hero',
      ),
    ).toEqual({ source: 'newsletter', medium: 'email', name: 'spring sale', term: 'shoes', content: 'hero' });
  });

  it('keeps the ad networks click ids', () => {
    expect(campaignOf('?gclid=g1&fbclid=f1&msclkid=m1&x=1')).toEqual({
      gclid: 'g1',
      fbclid: 'f1',
      msclkid: 'm1',
    });
  });

  it('is undefined without campaign parameters, and ignores empty ones', () => {
    expect(campaignOf('')).toBeUndefined();
    expect(campaignOf('?q=shoes&page=2')).toBeUndefined();
    expect(campaignOf('?utm_source=&utm_medium=cpc')).toEqual({ medium: 'cpc' });
  });
});
