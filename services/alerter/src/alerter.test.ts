import { isClickHouseStorageError } from '@waymark/clickhouse';
import { describe, expect, it } from 'vitest';
import { readAlertRule } from './alerter.ts';

const stored = (document: string) => ({ projectId: 'p1', version: 3, document });

const failure = (document: string) => {
  try {
    readAlertRule(stored(document));
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('readAlertRule', () => {
  it('reads a stored rule with its documented defaults', () => {
    expect(readAlertRule(stored(JSON.stringify({ kind: 'churn_risk', name: 'c' })))).toMatchObject({
      kind: 'churn_risk',
      name: 'c',
      enabled: true,
      minCustomers: 10,
    });
  });

  it('refuses a rule the current rules no longer accept as CLICKHOUSE_DOCUMENT_INVALID, by field', () => {
    const error = failure(JSON.stringify({ kind: 'volume_anomaly', name: '', window: '90s' }));
    expect(isClickHouseStorageError(error, 'CLICKHOUSE_DOCUMENT_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/^stored alert rule version 3 of project p1 is invalid: /);
    expect((error as Error).message).toContain('name: ');
    expect((error as Error).message).toContain('window: ');
  });

  it('refuses a stored text that is not JSON the same way', () => {
    const error = failure('{"kind": "churn_risk",');
    expect(isClickHouseStorageError(error, 'CLICKHOUSE_DOCUMENT_INVALID')).toBe(true);
    expect((error as Error).message).toContain('not JSON');
  });
});
