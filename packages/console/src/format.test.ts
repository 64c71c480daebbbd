import { describe, expect, it } from 'vitest';
import { formatDuration, formatPercent } from './format.ts';

describe('formatDuration', () => {
  it('shows the two largest units and leaves zeros out', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(0.4)).toBe('0s');
    expect(formatDuration(42)).toBe('42s');
    expect(formatDuration(1200)).toBe('20m');
    expect(formatDuration(5400)).toBe('1h 30m');
    expect(formatDuration(172_800)).toBe('2d');
    expect(formatDuration(158_400)).toBe('1d 20h');
    expect(formatDuration(86_400 + 59)).toBe('1d');
    expect(formatDuration(30 * 86_400)).toBe('30d');
  });
});

describe('formatPercent', () => {
  it('shows one decimal', () => {
    expect(formatPercent(0.875)).toBe('87.5%');
    expect(formatPercent(1)).toBe('100.0%');
    expect(formatPercent(0)).toBe('0.0%');
  });
});
