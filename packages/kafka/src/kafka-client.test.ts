import { Writable } from 'node:stream';
import { createLogger } from '@waymark/logger';
import { logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { createKafka, kafkaLogLevelFor } from './kafka-client.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line.length > 0) lines.push(JSON.parse(line));
      callback();
    },
  });
  return { lines, destination };
}

describe('kafkaLogLevelFor', () => {
  it('mirrors the pino level', () => {
    expect(kafkaLogLevelFor('debug')).toBe(logLevel.DEBUG);
    expect(kafkaLogLevelFor('info')).toBe(logLevel.INFO);
    expect(kafkaLogLevelFor('warn')).toBe(logLevel.WARN);
    expect(kafkaLogLevelFor('fatal')).toBe(logLevel.ERROR);
    expect(kafkaLogLevelFor('silent')).toBe(logLevel.NOTHING);
  });
});

describe('createKafka', () => {
  it('routes kafkajs logs to the pino logger, with their fields', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 'kafka-test', level: 'debug', destination });
    const kafka = createKafka({ brokers: ['127.0.0.1:1'], clientId: 'test', logger });
    kafka.logger().namespace('Consumer').warn('rebalancing', { groupId: 'g1' });
    kafka.logger().namespace('Connection').error('Response Metadata', { error: 'x' });

    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'rebalancing',
        namespace: 'Consumer',
        groupId: 'g1',
        component: 'kafkajs',
      }),
    );
    // Protocol error responses are retried by kafkajs: debug, not error.
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 20, msg: 'Response Metadata', namespace: 'Connection' }),
    );
  });
});
