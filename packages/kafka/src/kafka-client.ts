import type { Logger } from '@waymark/logger';
import { Kafka, type LogEntry, type logCreator, logLevel } from 'kafkajs';

export interface KafkaClientConfig {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** Milliseconds to establish a TCP connection to a broker (kafkajs default: 1000). */
  connectionTimeout?: number;
  /** Milliseconds to wait for a broker's response (kafkajs default: 30000). */
  requestTimeout?: number;
  /** Retries of a failed request before the error reaches the caller. */
  retries?: number;
}

/** kafkajs log level that lets through what the pino logger would print, and nothing more. */
export function kafkaLogLevelFor(pinoLevel: string): logLevel {
  switch (pinoLevel) {
    case 'trace':
    case 'debug':
      return logLevel.DEBUG;
    case 'info':
      return logLevel.INFO;
    case 'warn':
      return logLevel.WARN;
    case 'error':
    case 'fatal':
      return logLevel.ERROR;
    default:
      return logLevel.NOTHING;
  }
}

function pinoLogCreator(logger: Logger): logCreator {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const bindings = { namespace, ...fields };
      // kafkajs logs every error response at ERROR before its own retry logic runs, including expected
      // ones such as GROUP_COORDINATOR_NOT_AVAILABLE right after a broker start. The caller gets
      // the error anyway if it is not retried away, so these lines go to debug.
      if (namespace === 'Connection' && level === logLevel.ERROR) {
        kafkaLogger.debug(bindings, message);
        return;
      }
      switch (level) {
        case logLevel.ERROR:
          kafkaLogger.error(bindings, message);
          break;
        case logLevel.WARN:
          kafkaLogger.warn(bindings, message);
          break;
        case logLevel.INFO:
          kafkaLogger.info(bindings, message);
          break;
        default:
          kafkaLogger.debug(bindings, message);
      }
    };
}

/**
 * The one kafkajs factory: logs go to our pino logger, and a request is retried with backoff for
 * about half a minute so that a broker restart or a leader election does not surface as an error.
 */
export function createKafka(config: KafkaClientConfig): Kafka {
  return new Kafka({
    brokers: config.brokers,
    clientId: config.clientId,
    connectionTimeout: config.connectionTimeout ?? 3_000,
    requestTimeout: config.requestTimeout ?? 30_000,
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: config.retries ?? 8 },
    logLevel: kafkaLogLevelFor(config.logger.level),
    logCreator: pinoLogCreator(config.logger),
  });
}
