import { type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  name: string;
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
  /** Append to this file instead (created with its directory). */
  file?: string;
}

/**
 * The one logger factory. Secrets and personal data never reach the logs: write keys, API keys,
 * authorization headers, IP addresses and traits are redacted wherever they appear in a logged object.
 */
export function createLogger({ name, level = 'info', destination, file }: LoggerOptions): Logger {
  return pino(
    {
      name,
      level,
      base: { service: name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: [
          'writeKey',
          'apiKey',
          'password',
          '*.writeKey',
          '*.apiKey',
          '*.password',
          'req.headers.authorization',
          'headers.authorization',
          'ip',
          '*.ip',
          'traits',
          '*.traits',
        ],
        censor: '[redacted]',
      },
    },
    destination ??
      pino.destination(file === undefined ? { sync: false } : { dest: file, mkdir: true, sync: false }),
  );
}
