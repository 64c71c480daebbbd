import { randomInt } from 'node:crypto';
import type { ICustomPartitioner } from 'kafkajs';

/*
 * Kafka's default partitioning (the Java client's, which kafkajs' DefaultPartitioner follows): a keyed message
 * goes to murmur2(key) & 0x7fffffff mod the topic's partitions, a message without a key round-robin over the
 * partitions that have a leader. kafkajs computes murmur2 with an emulated 64-bit Long, allocating objects per
 * byte group: ≈ 14 µs per key here, a large part of what a send costs once records are few and large
 * (bench/partitioner.bench.ts). The same hash in 32-bit integer arithmetic gives the same partition for every
 * key, which is what keeps a customer's records in order on one partition across versions and alongside
 * producers in other languages (packages/kafka/src/partitioner.test.ts holds the two equal).
 */

const SEED = 0x9747b28c;

/* A string key is encoded into one reused buffer: allocating a Buffer per key cost as much as the hash. */
let scratch = Buffer.allocUnsafe(256);
let utf8Length = 0;
function utf8(key: string): Buffer {
  if (key.length * 3 > scratch.length) scratch = Buffer.allocUnsafe(key.length * 3);
  utf8Length = scratch.write(key, 0, 'utf8');
  return scratch;
}
const M = 0x5bd1e995;

/** Kafka's murmur2 of the key's bytes (a string as UTF-8), as the signed 32-bit int Java returns. */
export function murmur2(key: Buffer | string): number {
  const data = typeof key === 'string' ? utf8(key) : key;
  const length = typeof key === 'string' ? utf8Length : data.length;
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k =
      (data[i] as number) |
      ((data[i + 1] as number) << 8) |
      ((data[i + 2] as number) << 16) |
      ((data[i + 3] as number) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The last one to three bytes, highest first.
  const tail = length & 3;
  if (tail === 3) h ^= (data[whole + 2] as number) << 16;
  if (tail >= 2) h ^= (data[whole + 1] as number) << 8;
  if (tail >= 1) h = Math.imul(h ^ (data[whole] as number), M);
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

const toPositive = (x: number) => x & 0x7fffffff;

/** kafkajs' `createPartitioner` with Kafka's default partitioning, the hash in integer arithmetic. */
export const KafkaDefaultPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const partitions = partitionMetadata.length;
    if (message.key !== null && message.key !== undefined)
      return toPositive(murmur2(message.key)) % partitions;
    const next = (counters.get(topic) ?? randomInt(2 ** 31)) + 1;
    counters.set(topic, next);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    return available.length > 0
      ? (available[toPositive(next) % available.length]?.partitionId ?? 0)
      : toPositive(next) % partitions;
  };
};
