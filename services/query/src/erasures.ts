import type { ClickHouseClient } from '@clickhouse/client';
import { type Erasure, type ErasureRunOptions, runErasure, unfinishedErasures } from '@waymark/clickhouse';
import type { Logger } from '@waymark/logger';

/**
 * Runs erasure jobs in the background of the query service, one run per erasure at a time. A run that fails
 * (or a process that dies mid-way) leaves the job's progress stored; `resumeUnfinished` at the next start, or
 * the next request for the same key, finishes it.
 */
export class ErasureRunner {
  readonly #running = new Map<string, Promise<void>>();
  readonly #clickhouse: ClickHouseClient;
  readonly #logger: Logger;
  readonly #options: ErasureRunOptions;

  constructor(deps: { clickhouse: ClickHouseClient; logger: Logger; options: ErasureRunOptions }) {
    this.#clickhouse = deps.clickhouse;
    this.#logger = deps.logger;
    this.#options = deps.options;
  }

  /** Starts the erasure unless it is done or already running here. */
  start(erasure: Erasure): void {
    const id = `${erasure.projectId}/${erasure.erasureId}`;
    if (erasure.status === 'done' || this.#running.has(id)) return;
    const run = runErasure(this.#clickhouse, erasure, this.#options)
      .then((done) => this.#logger.info({ erasureId: done.erasureId, rawKeys: done.rawKeys }, 'erasure done'))
      .catch((error: unknown) =>
        this.#logger.error(
          { err: error, erasureId: erasure.erasureId },
          'erasure failed; it resumes at the next start',
        ),
      )
      .finally(() => this.#running.delete(id));
    this.#running.set(id, run);
  }

  /** Starts every erasure a previous process left unfinished; answers how many. */
  async resumeUnfinished(): Promise<number> {
    const unfinished = await unfinishedErasures(this.#clickhouse);
    for (const erasure of unfinished) this.start(erasure);
    return unfinished.length;
  }

  /** Resolves when no erasure runs here (runs stopped half-way resume at the next start). */
  async idle(): Promise<void> {
    await Promise.all(this.#running.values());
  }
}
