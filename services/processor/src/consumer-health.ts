/** What the processor's readiness is made of (docs/operations.md, "Health"). */
export interface ConsumerHealthChecks {
  /** Joined its group and consuming (not joining, rebalancing or restarting). */
  consumer: boolean;
  /** The store has not kept failing for longer than the stall limit. */
  store: boolean;
  /** No batch has been in flight for longer than the stall limit. */
  progress: boolean;
}

export type Dependency = 'store' | 'kafka';

/**
 * Tracks the batches in flight and the failures of their writes, so readiness can say "stuck": a member
 * that holds its partitions but cannot finish a batch (the store keeps failing, a publish keeps timing
 * out) lets lag grow without progress, which a joined-only check would call ready.
 */
export class ConsumerHealth {
  /** When each batch in flight started, by a token of its own: a partition can have two (one being written). */
  private readonly inFlight = new Map<symbol, number>();
  private readonly failingSince = new Map<Dependency, number>();

  constructor(
    private readonly stallAfterMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Returns the token to end it with. */
  batchStarted(): symbol {
    const batch = Symbol('batch');
    this.inFlight.set(batch, this.clock());
    return batch;
  }

  batchEnded(batch: symbol): void {
    this.inFlight.delete(batch);
  }

  failed(dependency: Dependency): void {
    if (!this.failingSince.has(dependency)) this.failingSince.set(dependency, this.clock());
  }

  succeeded(dependency: Dependency): void {
    this.failingSince.delete(dependency);
  }

  checks(joined: boolean): ConsumerHealthChecks {
    const now = this.clock();
    const stalled = (since: number | undefined) => since !== undefined && now - since >= this.stallAfterMs;
    return {
      consumer: joined,
      store: !stalled(this.failingSince.get('store')),
      progress: ![...this.inFlight.values()].some((since) => stalled(since)),
    };
  }
}
