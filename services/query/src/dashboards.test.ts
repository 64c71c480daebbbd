import { describe, expect, it } from 'vitest';
import { tileQuery } from './dashboards.ts';

describe('tileQuery', () => {
  const now = Date.parse('2026-06-15T12:00:00Z');

  it('defaults to the last 30 days, today included, as the screens do', () => {
    expect({ ...tileQuery('/', '', now) }).toEqual({ from: '2026-05-17', to: '2026-06-16' });
  });

  it("keeps the view's own range and settings, a repeated parameter as a list", () => {
    expect({
      ...tileQuery('/', '?from=2026-01-01&to=2026-02-01&country=DE&country=FR&mode=ordered', now),
    }).toEqual({
      from: '2026-01-01',
      to: '2026-02-01',
      country: ['DE', 'FR'],
      mode: 'ordered',
    });
  });

  it('makes no prototype of a parameter name', () => {
    const query = tileQuery('/', '?__proto__=x&constructor=y', now);
    expect(Object.getPrototypeOf(query)).toBeNull();
    expect(Object.keys(query)).toEqual(['from', 'to', '__proto__', 'constructor']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it("reads a screen's own defaults and its values that mean leaving a parameter out", () => {
    expect({ ...tileQuery('/customers', '', now) }).toMatchObject({ dimension: 'furthest_stage' });
    expect({ ...tileQuery('/customers', '?dimension=country', now) }).toMatchObject({ dimension: 'country' });
    expect(tileQuery('/bottlenecks', '?compare=none&window=7d', now)).not.toHaveProperty('compare');
    expect({ ...tileQuery('/bottlenecks', '?compare=previous', now) }).toMatchObject({ compare: 'previous' });
    expect(tileQuery('/retention', '?breakdown=', now)).not.toHaveProperty('breakdown');
  });

  it("leaves out the screen's own settings, which its route does not take", () => {
    expect({ ...tileQuery('/', '?mode=ordered&convert=purchase', now) }).toEqual({
      from: '2026-05-17',
      to: '2026-06-16',
      mode: 'ordered',
    });
    expect({ ...tileQuery('/bottlenecks', '?mode=strict&fromStage=selection&rank=change', now) }).toEqual({
      from: '2026-05-17',
      to: '2026-06-16',
      mode: 'strict',
      fromStage: 'selection',
    });
  });
});
