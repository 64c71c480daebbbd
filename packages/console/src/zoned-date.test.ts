import { describe, expect, it } from 'vitest';
import { startOfDateIn } from './zoned-date.ts';

describe('startOfDateIn', () => {
  it('is the date’s midnight in the zone, across offsets and their changes', () => {
    expect(startOfDateIn('2026-01-01', 'UTC')).toBe('2026-01-01T00:00:00.000Z');
    expect(startOfDateIn('2026-01-01', 'Europe/Berlin')).toBe('2025-12-31T23:00:00.000Z');
    expect(startOfDateIn('2025-10-01', 'Europe/Berlin')).toBe('2025-09-30T22:00:00.000Z');
    // The days after a change of offset: summer time begins 2026-03-29 and ends 2026-10-25 in Berlin.
    expect(startOfDateIn('2026-03-30', 'Europe/Berlin')).toBe('2026-03-29T22:00:00.000Z');
    expect(startOfDateIn('2026-10-26', 'Europe/Berlin')).toBe('2026-10-25T23:00:00.000Z');
    expect(startOfDateIn('2026-07-01', 'America/Los_Angeles')).toBe('2026-07-01T07:00:00.000Z');
    expect(startOfDateIn('2026-01-01', 'Asia/Kathmandu')).toBe('2025-12-31T18:15:00.000Z');
    expect(startOfDateIn('2026-01-01', 'Pacific/Chatham')).toBe('2025-12-31T10:15:00.000Z');
  });

  it('leaves what it cannot read for the API to refuse', () => {
    expect(startOfDateIn('2026-01-01', 'Mars/Olympus')).toBe('2026-01-01');
    expect(startOfDateIn('2026-01-01T12:00:00Z', 'Europe/Berlin')).toBe('2026-01-01T12:00:00Z');
    expect(startOfDateIn('<script>', 'UTC')).toBe('<script>');
    expect(startOfDateIn('', 'UTC')).toBe('');
  });
});
