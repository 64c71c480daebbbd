export type KafkaSource = 'env' | 'testcontainers' | 'local';

/** A ClickHouse server every test file shares (each file gets its own database); absent → embedded chDB. */
export interface ClickHouseServerEndpoint {
  url: string;
  username?: string;
  password?: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    waymarkKafkaBrokers: string[];
    waymarkKafkaSource: KafkaSource;
    waymarkClickHouseServer: ClickHouseServerEndpoint | null;
  }
}
