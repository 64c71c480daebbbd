import { describe, expect, it } from 'vitest';
import {
  AlertRule,
  type AlertRuleInput,
  keepStoredSecrets,
  parseAlertRule,
  withoutSecrets,
} from './alert-rule.ts';

describe('alert rules', () => {
  it('fill in the documented defaults', () => {
    expect(
      AlertRule.parse({ kind: 'stage_conversion_drop', name: 'c', from: 'selection', to: 'purchase' }),
    ).toMatchObject({
      enabled: true,
      evaluateEvery: 5 * 60_000,
      window: 3_600_000,
      baseline: { type: 'same_weekday', weeks: 4 },
      minRelativeDrop: 0.25,
      significance: 0.0001,
      minSample: 100,
      cooldown: 3_600_000,
      resolveAfter: 3,
      notify: [],
    });
    expect(AlertRule.parse({ kind: 'churn_risk', name: 'c' })).toMatchObject({
      window: 86_400_000,
      minCustomers: 10,
    });
  });
  it('list every problem by field', () => {
    const result = parseAlertRule({
      kind: 'volume_anomaly',
      name: '',
      window: '90s',
      notify: [{ type: 'webhook', url: 'mailto:x@example.com', secret: 'x' }],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((i) => i.path).sort()).toEqual([
        'name',
        'notify.0.secret',
        'notify.0.url',
        'window',
      ]);
    }
  });
  it('never show secrets, and keep them when a rule comes back without them', () => {
    const stored: AlertRuleInput = {
      kind: 'churn_risk',
      name: 'c',
      notify: [{ type: 'webhook', url: 'https://a.example', secret: 'a-secret-of-16-chars' }],
    };
    const shown = withoutSecrets(stored);
    expect(JSON.stringify(shown)).not.toContain('a-secret');
    expect(shown.notify?.[0]).toMatchObject({ secretSet: true });
    expect(keepStoredSecrets(shown, stored).notify?.[0]).toMatchObject({ secret: 'a-secret-of-16-chars' });
    expect(parseAlertRule(keepStoredSecrets(shown, stored)).ok).toBe(true);
  });
});
