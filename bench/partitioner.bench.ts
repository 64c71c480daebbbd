/**
 * The cost of choosing a message's partition: kafkajs' DefaultPartitioner (murmur2 over an emulated 64-bit
 * Long) against Waymark's KafkaDefaultPartitioner (the same hash in 32-bit integer arithmetic), alternated in
 * rounds of the same keys in this run. The keys are the collector's (`<project>:<anonymous id>`) and the
 * processor's transition keys (`<project>:<customer key>`); every key gets the same partition from both, which
 * the run checks.
 *
 *   pnpm exec tsx bench/partitioner.bench.ts [--keys 20000] [--rounds 5]
 */
import { parseArgs } from 'node:util';
import { KafkaDefaultPartitioner } from '@waymark/kafka';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { commandLine, formatNumber, markdownTable, median, runContext } from './report.ts';

const { values: args } = parseArgs({
  options: { keys: { type: 'string', default: '20000' }, rounds: { type: 'string', default: '5' } },
});
const KEYS = Number(args.keys);
const ROUNDS = Number(args.rounds);

const keys = Array.from({ length: KEYS }, (_, i) =>
  i % 2 === 0
    ? `p_shop_eu:${crypto.randomUUID()}`
    : `p_shop_eu:${i % 4 === 1 ? 'a:' : 'u:'}${crypto.randomUUID().slice(0, 8 + (i % 20))}`,
);
const partitionMetadata: PartitionMetadata[] = [0, 1, 2].map((partitionId) => ({
  partitionId,
  leader: 0,
  partitionErrorCode: 0,
  replicas: [0],
  isr: [0],
}));

const contenders = [
  {
    name: 'kafkajs `Partitioners.DefaultPartitioner` (baseline)',
    partition: Partitioners.DefaultPartitioner(),
  },
  { name: '`KafkaDefaultPartitioner` (@waymark/kafka)', partition: KafkaDefaultPartitioner() },
];
const chosen = contenders.map(({ partition }) =>
  keys.map((key) =>
    partition({ topic: 'waymark.events.v1', partitionMetadata, message: { key, value: null } }),
  ),
);
const differing = keys.filter((_, i) => chosen[0]?.[i] !== chosen[1]?.[i]).length;

const samples = contenders.map(() => [] as number[]);
for (let round = 0; round <= ROUNDS; round++) {
  contenders.forEach(({ partition }, c) => {
    const started = process.hrtime.bigint();
    for (const key of keys)
      partition({ topic: 'waymark.events.v1', partitionMetadata, message: { key, value: null } });
    const nsPerKey = Number(process.hrtime.bigint() - started) / keys.length;
    if (round > 0) samples[c]?.push(nsPerKey); // round 0 warms both up
  });
}
const perKey = samples.map(median);
const baseline = perKey[0] as number;

console.log('### Choosing a partition per message: kafkajs’ DefaultPartitioner vs KafkaDefaultPartitioner\n');
console.log(`\`${commandLine()}\`\n`);
console.log(`${runContext()}. ${formatNumber(KEYS)} keys, ${ROUNDS} rounds after a warm-up, alternated.\n`);
console.log(
  markdownTable(
    ['partitioner', 'ns per message, p50 of rounds', 'rounds', 'messages/s on one core', 'ratio to baseline'],
    contenders.map(({ name }, c) => [
      name,
      formatNumber(perKey[c] as number),
      (samples[c] ?? []).map((ns) => formatNumber(ns)).join(' / '),
      formatNumber(1e9 / (perKey[c] as number)),
      `${((perKey[c] as number) / baseline).toFixed(3)}×`,
    ]),
  ),
);
console.log(`\nKeys given another partition than kafkajs gives them: ${differing} of ${formatNumber(KEYS)}.`);
if (differing > 0) process.exitCode = 1;
