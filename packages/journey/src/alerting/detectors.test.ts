import { describe, expect, it } from 'vitest';
import { AlertRule, StageConversionDropRule } from './alert-rule.ts';
import {
  type ConversionGroup,
  detectChurnRisk,
  detectConversionDrop,
  detectCountAnomaly,
  detectThreshold,
  outcomeFigures,
} from './detectors.ts';
import { simulateNoise } from './noise.fixture.ts';

const defaults = StageConversionDropRule.parse({
  kind: 'stage_conversion_drop',
  name: 'checkout',
  from: 'selection',
  to: 'purchase',
  breakdown: 'device',
});
const params = { ...defaults, step: 'selection → purchase' };
const group = (
  segment: string,
  current: [number, number],
  baseline: Array<[number, number]>,
): ConversionGroup => ({
  segment,
  current: { successes: current[0], trials: current[1] },
  baseline: baseline.map(([successes, trials]) => ({ successes, trials })),
});
const steady: Array<[number, number]> = [
  [120, 400],
  [118, 400],
  [125, 410],
  [121, 395],
];

describe('detectConversionDrop', () => {
  it('fires on a drop concentrated in one device and names it first', () => {
    const outcome = detectConversionDrop(
      [
        group('mobile', [30, 400], steady),
        group('desktop', [122, 400], steady),
        group(
          'tablet',
          [60, 200],
          steady.map(([s, t]) => [s / 2, t / 2]),
        ),
      ],
      params,
    );
    expect(outcome.status).toBe('breach');
    expect(outcome.severity).toBe('critical'); // 30% → 7.5%: a 75% drop
    expect(outcome.rootCause[0]).toMatchObject({ value: 'mobile', breach: true });
    expect(outcome.rootCause.map((r) => r.value)).toEqual(['mobile']);
    expect(outcome.summary).toMatch(
      /fell 29\.9% \(30\.2% → 21\.2%\); worst device = mobile \(30\.2% → 7\.5%\)/,
    );
  });
  it('never fires on small samples, however large the drop', () => {
    const tiny = detectConversionDrop(
      [
        group(
          'mobile',
          [0, 40],
          [
            [12, 40],
            [13, 40],
            [12, 40],
            [11, 40],
          ],
        ),
      ],
      params,
    );
    expect(tiny.status).toBe('insufficient');
    expect(tiny.severity).toBeNull();
  });
  it('needs both a large and a significant drop', () => {
    // 30% → 27%: significant on 100k customers, but a 10% drop is below the 25% threshold.
    const large = [
      [30_000, 100_000],
      [30_000, 100_000],
      [30_000, 100_000],
      [30_000, 100_000],
    ] as Array<[number, number]>;
    expect(
      detectConversionDrop([group('', [27_000, 100_000], large)], { ...params, breakdown: undefined }).status,
    ).toBe('clear');
  });
  it('takes the median baseline window, so one outage week does not hide a drop or make one', () => {
    const withOutage: Array<[number, number]> = [
      [120, 400],
      [0, 400],
      [124, 400],
      [118, 400],
    ];
    expect(
      detectConversionDrop([group('', [120, 400], withOutage)], { ...params, breakdown: undefined }).status,
    ).toBe('clear');
    expect(
      detectConversionDrop([group('', [40, 400], withOutage)], { ...params, breakdown: undefined }).status,
    ).toBe('breach');
  });
});

describe('detectCountAnomaly', () => {
  const volume = {
    direction: 'both',
    minDeviation: 4,
    minRelativeChange: 0.5,
    minBaseline: 20,
    what: 'touchpoints',
  } as const;
  it('sees broken tracking and a bot flood, robustly to one past outage', () => {
    const history = [1000, 1040, 0, 980];
    expect(detectCountAnomaly(3, history, volume)).toMatchObject({ status: 'breach', severity: 'critical' });
    expect(detectCountAnomaly(5200, history, volume)).toMatchObject({
      status: 'breach',
      severity: 'critical',
    });
    expect(detectCountAnomaly(1010, history, volume).status).toBe('clear');
    expect(detectCountAnomaly(1010, history, { ...volume, direction: 'above' }).status).toBe('clear');
  });
  it('leaves tiny counts alone', () => {
    expect(detectCountAnomaly(0, [3, 5, 4, 6], volume).status).toBe('insufficient');
  });
});

describe('detectThreshold and detectChurnRisk', () => {
  it('compares with an absolute threshold', () => {
    expect(detectThreshold(40, { operator: 'below', value: 50, what: 'orders' })).toMatchObject({
      status: 'breach',
      severity: 'warning',
    });
    expect(detectThreshold(60, { operator: 'below', value: 50, what: 'orders' }).status).toBe('clear');
    expect(detectThreshold(null, { operator: 'below', value: 0.2, what: 'conversion rate' }).status).toBe(
      'insufficient',
    );
  });
  it('counts customers turning at risk in the chosen tiers', () => {
    const counts = { byTier: { A: 4, B: 9, C: 30, '': 0 } };
    expect(detectChurnRisk(counts, { minCustomers: 10, tiers: ['A', 'B'] })).toMatchObject({
      status: 'breach',
      severity: 'warning',
      details: { customers: 13 },
    });
    expect(detectChurnRisk(counts, { minCustomers: 50 }).status).toBe('clear');
  });
});

describe('false positives of the defaults on normal noise', () => {
  it('raises no alert over 2,000 hourly windows of three devices × 200 customers', () => {
    expect(
      simulateNoise({ windows: 2000, customersPerSegment: 200, segments: 3, rate: 0.3, seed: 6 }),
    ).toEqual({
      breaches: 0,
      incidents: 0,
    });
  });
});

describe('outcomeFigures', () => {
  const rule = (input: Record<string, unknown>) => AlertRule.parse({ name: 'r', ...input });
  it('names the judged figure and its reference for every kind', () => {
    const drop = rule({ kind: 'stage_conversion_drop', from: 'selection', to: 'purchase' });
    const rates = { currentRate: 0.1, baselineRate: 0.4 };
    expect(outcomeFigures(drop, { details: { ...rates, customers: 50, baselineCustomers: 300 } })).toEqual({
      value: 0.1,
      reference: 0.4,
    });
    expect(outcomeFigures(drop, { details: { ...rates, customers: 0, baselineCustomers: 0 } })).toEqual({
      value: null,
      reference: null,
    });
    const kpi = rule({ kind: 'kpi_threshold', metric: 'orders', operator: 'below', value: 5 });
    expect(outcomeFigures(kpi, { details: { value: null, threshold: 5 } })).toEqual({
      value: null,
      reference: 5,
    });
    const volume = rule({ kind: 'volume_anomaly', stage: 'purchase' });
    expect(outcomeFigures(volume, { details: { current: 3, baselineMedian: 40 } })).toEqual({
      value: 3,
      reference: 40,
    });
    expect(outcomeFigures(rule({ kind: 'churn_risk' }), { details: { customers: 12 } })).toEqual({
      value: 12,
      reference: 10,
    });
  });
});
