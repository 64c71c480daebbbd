import { decodeTouchpoints, type Touchpoint, touchpointOf } from '@waymark/events';
import { describe, expect, it } from 'vitest';
import { touchpointRecords } from './publisher.ts';

const touchpoint = (messageId: string, who: { anonymousId?: string; userId?: string }): Touchpoint =>
  touchpointOf({
    messageId,
    projectId: 'p',
    type: 'track',
    event: 'Viewed',
    timestamp: 1,
    receivedAt: 2,
    ...who,
  });

describe('touchpointRecords', () => {
  it('writes one record per customer key, each holding that customer’s touchpoints in request order', () => {
    const request = [
      touchpoint('1', { anonymousId: 'a' }),
      touchpoint('2', { userId: 'u' }),
      touchpoint('3', { anonymousId: 'a', userId: 'u' }), // keyed by anonymousId, as partitionKey says
      touchpoint('4', { userId: 'u' }),
      touchpoint('5', { anonymousId: 'b' }),
    ];
    const records = touchpointRecords(request).map((record) => {
      const decoded = decodeTouchpoints(record.value as Buffer);
      return [record.key, decoded.ok ? decoded.value.map((t) => t.messageId) : decoded.reason];
    });
    expect(records).toEqual([
      ['p:a', ['1', '3']],
      ['p:u', ['2', '4']],
      ['p:b', ['5']],
    ]);
  });
});
