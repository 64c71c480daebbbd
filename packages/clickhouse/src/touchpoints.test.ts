import { touchpointOf } from '@waymark/events';
import { describe, expect, it } from 'vitest';
import { dateTime64Text, TOUCHPOINT_COLUMNS, toTouchpointRow } from './touchpoints.ts';

describe('dateTime64Text', () => {
  it('writes epoch milliseconds as seconds with three decimals', () => {
    expect(dateTime64Text(1_717_200_000_123)).toBe('1717200000.123');
    expect(dateTime64Text(1_717_200_000_045)).toBe('1717200000.045');
    expect(dateTime64Text(1_717_200_000_007)).toBe('1717200000.007');
    expect(dateTime64Text(1_717_200_000_000)).toBe('1717200000.000');
    expect(dateTime64Text(0)).toBe('0.000');
  });
});

describe('toTouchpointRow', () => {
  it('has one value per column, absent text as empty strings', () => {
    const row = toTouchpointRow({
      touchpoint: touchpointOf({
        messageId: 'm',
        projectId: 'p',
        type: 'track',
        timestamp: 1000,
        receivedAt: 2000,
      }),
      rawKey: 'a:',
      stage: 3,
      complaint: true,
      revenue: 9.5,
      currency: 'EUR',
      rulesetVersion: 2,
      channel: 'email',
      ingestedAt: 3000,
    });
    expect(row).toHaveLength(TOUCHPOINT_COLUMNS.length);
    const byColumn = Object.fromEntries(TOUCHPOINT_COLUMNS.map((c, i) => [c, row[i]]));
    expect(byColumn).toMatchObject({
      message_id: 'm',
      event: '',
      timestamp: '1.000',
      original_timestamp: null,
      received_at: '2.000',
      stage: 3,
      complaint: 1,
      channel: 'email',
      ingested_at: '3.000',
    });
  });
});
