// The legacy Segment server library ships without types; only what the compatibility test calls.
declare module 'analytics-node' {
  interface Message {
    userId?: string;
    anonymousId?: string;
    [key: string]: unknown;
  }
  class Analytics {
    constructor(
      writeKey: string,
      options?: { host?: string; flushAt?: number; flushInterval?: number; retryCount?: number },
    );
    track(message: Message & { event: string }): this;
    page(message: Message): this;
    identify(message: Message): this;
    group(message: Message & { groupId: string }): this;
    alias(message: { userId: string; previousId: string }): this;
    flush(): Promise<unknown>;
  }
  export = Analytics;
}
