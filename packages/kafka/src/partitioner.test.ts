import { createRequire } from 'node:module';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { KafkaDefaultPartitioner, murmur2 } from './partitioner.ts';

// kafkajs' own murmur2 (64-bit Long emulation), the reference the fast one must equal on every key.
const kafkajsMurmur2 = createRequire(import.meta.url)(
  'kafkajs/src/producer/partitioners/default/murmur2.js',
) as (key: Buffer | string) => number;

/** Deterministic keys of every length 0–200 and every tail length, ASCII, multi-byte UTF-8 and raw bytes. */
function keys(): Array<Buffer | string> {
  let seed = 12345;
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  const alphabet = ['a', 'Z', '0', ':', '-', 'é', 'ß', '日', '本', '🙂', '\u0000', '\uffff'];
  const out: Array<Buffer | string> = ['', 'a', 'p_bench:a:anon-1', 'demo:u:user-42', 'x'.repeat(10_000)];
  for (let length = 0; length <= 200; length++) {
    out.push(Array.from({ length }, () => alphabet[next() % alphabet.length]).join(''));
    out.push(Buffer.from(Array.from({ length }, () => next() & 0xff)));
  }
  return out;
}

const metadata = (count: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

describe('murmur2', () => {
  it('equals kafkajs’ (and so the Java client’s) hash on every key', () => {
    for (const key of keys())
      expect(murmur2(key), JSON.stringify(String(key).slice(0, 40))).toBe(kafkajsMurmur2(key));
  });

  it('reads a string as its UTF-8 bytes', () => {
    expect(murmur2('日本🙂')).toBe(murmur2(Buffer.from('日本🙂', 'utf8')));
  });
});

describe('KafkaDefaultPartitioner', () => {
  it('picks the partition kafkajs’ DefaultPartitioner picks for every keyed message and partition count', () => {
    const ours = KafkaDefaultPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const count of [1, 2, 3, 7, 12, 64, 1000]) {
      const partitionMetadata = metadata(count);
      for (const key of keys()) {
        const args = { topic: 't', partitionMetadata, message: { key, value: null } };
        expect(ours(args)).toBe(theirs(args));
      }
    }
  });

  it('keeps an explicit partition, and spreads keyless messages over the partitions that have a leader', () => {
    const partitioner = KafkaDefaultPartitioner();
    const partitionMetadata = metadata(4, [1]);
    expect(
      partitioner({ topic: 't', partitionMetadata, message: { key: 'k', value: null, partition: 3 } }),
    ).toBe(3);
    const picked = Array.from({ length: 30 }, () =>
      partitioner({ topic: 't', partitionMetadata, message: { value: null } }),
    );
    expect(new Set(picked)).toEqual(new Set([0, 2, 3]));
    // Round-robin: each of the three leaders ten times.
    expect([0, 2, 3].map((p) => picked.filter((x) => x === p).length)).toEqual([10, 10, 10]);
  });

  it('still answers a partition when no partition has a leader', () => {
    const partitioner = KafkaDefaultPartitioner();
    const partition = partitioner({
      topic: 't',
      partitionMetadata: metadata(3, [0, 1, 2]),
      message: { value: null },
    });
    expect([0, 1, 2]).toContain(partition);
  });
});
