import type { Logger } from '@waymark/logger';

export interface RunningService {
  logger: Logger;
  /** Drains in-flight work and releases connections. */
  close(): Promise<void>;
}

/**
 * Runs one service as its own process (production): starts it, drains on SIGTERM/SIGINT, and on a startup
 * failure prints the reason (a configuration error lists every bad variable) and exits 1.
 */
export function runStandalone(start: () => Promise<RunningService>): void {
  start()
    .then(({ logger, close }) => {
      const shutdown = async (signal: string) => {
        logger.info({ signal }, 'draining');
        try {
          await close();
          logger.info('stopped');
          logger.flush();
          process.exit(0);
        } catch (error) {
          logger.error({ err: error }, 'error while draining');
          logger.flush();
          process.exit(1);
        }
      };
      process.once('SIGTERM', (signal) => void shutdown(signal));
      process.once('SIGINT', (signal) => void shutdown(signal));
    })
    .catch((error: unknown) => {
      process.stderr.write(
        `${error instanceof Error && error.name === 'ConfigError' ? error.message : String((error as Error)?.stack ?? error)}\n`,
      );
      process.exit(1);
    });
}
