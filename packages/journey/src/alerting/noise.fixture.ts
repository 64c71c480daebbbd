import { seededRandom } from '../../../events/src/fixtures/seeded-random.ts';
import { StageConversionDropRule } from './alert-rule.ts';
import { type AlertState, advanceAlertState, INITIAL_ALERT_STATE } from './alert-state.ts';
import { type ConversionGroup, detectConversionDrop } from './detectors.ts';

/**
 * Normal noise for the false-positive measurement (detectors.test.ts, bench/alerting.bench.ts): a steady
 * conversion rate, binomial sampling noise only, over many windows, judged by the default
 * stage_conversion_drop rule with a breakdown. Each window has a baseline of four independent windows (the
 * same weekday of four weeks), and the state machine runs as the alerter runs it.
 */
export function simulateNoise(options: {
  windows: number;
  customersPerSegment: number;
  segments: number;
  rate: number;
  seed: number;
}): { breaches: number; incidents: number } {
  const rule = StageConversionDropRule.parse({
    kind: 'stage_conversion_drop',
    name: 'noise',
    from: 'selection',
    to: 'purchase',
    breakdown: 'device',
  });
  const random = seededRandom(options.seed);
  const binomial = (n: number, p: number) => {
    let k = 0;
    for (let i = 0; i < n; i++) if (random() < p) k++;
    return k;
  };
  const draw = () => ({
    successes: binomial(options.customersPerSegment, options.rate),
    trials: options.customersPerSegment,
  });
  let state: AlertState = INITIAL_ALERT_STATE;
  let breaches = 0;
  let incidents = 0;
  for (let w = 1; w <= options.windows; w++) {
    const groups: ConversionGroup[] = Array.from({ length: options.segments }, (_, s) => ({
      segment: `s${s}`,
      current: draw(),
      baseline: [draw(), draw(), draw(), draw()],
    }));
    const outcome = detectConversionDrop(groups, { ...rule, step: 'noise' });
    if (outcome.status === 'breach') breaches++;
    const change = advanceAlertState(state, outcome, w * rule.window, {
      cooldownMs: rule.cooldown,
      resolveAfter: rule.resolveAfter,
    });
    state = change.state;
    if (change.event?.type === 'firing') incidents++;
  }
  return { breaches, incidents };
}
