import { describe, expect, it } from 'vitest';
import { parseBrokers, planTestInfrastructure } from './test-infrastructure.ts';

describe('parseBrokers', () => {
  it('splits a comma-separated list and drops blanks', () => {
    expect(parseBrokers(' a:9092, b:9092 ,,')).toEqual(['a:9092', 'b:9092']);
    expect(parseBrokers('')).toEqual([]);
  });
});

describe('planTestInfrastructure', () => {
  it('uses the endpoints the environment names', () => {
    expect(
      planTestInfrastructure({
        KAFKA_BROKERS: 'k:9092',
        CLICKHOUSE_URL: 'http://ch:8123',
        CLICKHOUSE_USER: 'u',
      }),
    ).toEqual({
      kafka: { source: 'env', brokers: ['k:9092'] },
      clickhouse: { source: 'env', server: { url: 'http://ch:8123', username: 'u', password: undefined } },
    });
  });

  it('tries containers, then local, when nothing is named', () => {
    expect(planTestInfrastructure({})).toEqual({ kafka: { source: 'auto' }, clickhouse: { source: 'auto' } });
  });

  it('can be told to skip Docker or to require it', () => {
    expect(planTestInfrastructure({ WAYMARK_TESTCONTAINERS: '0' })).toEqual({
      kafka: { source: 'local' },
      clickhouse: { source: 'embedded' },
    });
    expect(planTestInfrastructure({ WAYMARK_TESTCONTAINERS: '1', KAFKA_BROKERS: 'k:1' })).toEqual({
      kafka: { source: 'env', brokers: ['k:1'] },
      clickhouse: { source: 'testcontainers' },
    });
  });
});
