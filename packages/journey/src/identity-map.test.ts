import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type IdentityLink,
  type IdentityLookup,
  identityLookupOf,
  resolveIdentityLinks,
} from './identity-map.ts';

const T0 = 1_700_000_000_000;
const at = (minutes: number) => T0 + minutes * 60_000;
let messageSeq = 0;

function link(aliasKey: string, customerKey: string, linkedAt: number, projectId = 'p'): IdentityLink {
  messageSeq += 1;
  return { projectId, aliasKey, customerKey, linkedAt, messageId: `m${messageSeq}` };
}

/** The links the processor makes for these Segment calls. */
const identify = (anonymousId: string, userId: string, minutes: number, projectId = 'p') => [
  link(`a:${anonymousId}`, `u:${userId}`, at(minutes), projectId),
];
const alias = (previousId: string, userId: string, minutes: number, projectId = 'p') => [
  link(`a:${previousId}`, `u:${userId}`, at(minutes), projectId),
  link(`u:${previousId}`, `u:${userId}`, at(minutes), projectId),
];

/**
 * The `identities` table as the processor uses it: rows are appended, a read sees the latest row per
 * alias (argMax over linked_at) for exactly the rows the lookup asks for, and queries resolve one level.
 */
class IdentityTable {
  readonly rows: IdentityLink[] = [];

  /** Latest row per (project, alias); two rows to different customers at the same time are ambiguous to argMax, so never allowed. */
  latest(): Map<string, IdentityLink> {
    const latest = new Map<string, IdentityLink>();
    for (const row of this.rows) {
      const key = `${row.projectId}\u0000${row.aliasKey}`;
      const seen = latest.get(key);
      if (seen?.linkedAt === row.linkedAt && seen.customerKey !== row.customerKey) {
        throw new Error(`ambiguous rows for ${row.aliasKey} at ${row.linkedAt}`);
      }
      if (seen === undefined || row.linkedAt > seen.linkedAt) latest.set(key, row);
    }
    return latest;
  }

  read(lookup: IdentityLookup): IdentityLink[] {
    const wanted = new Set(
      this.rows
        .filter(
          (row) =>
            lookup.projectIds.includes(row.projectId) &&
            (lookup.aliasKeys.includes(row.aliasKey) || lookup.customerKeys.includes(row.customerKey)),
        )
        .map((row) => `${row.projectId}\u0000${row.aliasKey}`),
    );
    return [...this.latest()].filter(([key]) => wanted.has(key)).map(([, row]) => row);
  }

  insert(rows: readonly IdentityLink[]): void {
    this.rows.push(...rows);
  }

  /** One processor batch: read what the links need, resolve, write; returns the rows written. */
  write(links: readonly IdentityLink[]): IdentityLink[] {
    const rows = resolveIdentityLinks(this.read(identityLookupOf(links)), links);
    this.insert(rows);
    return rows;
  }

  /** What every query does: the latest row's customer, one level, else the key itself. */
  customerOf(key: string, projectId = 'p'): string {
    return this.latest().get(`${projectId}\u0000${key}`)?.customerKey ?? key;
  }

  /** Every row's customer is a root: no query would need a second level. */
  expectFlat(): void {
    const latest = this.latest();
    for (const row of latest.values()) {
      const next = latest.get(`${row.projectId}\u0000${row.customerKey}`);
      expect(
        next === undefined || next.customerKey === row.customerKey,
        `${row.aliasKey} → ${row.customerKey}`,
      ).toBe(true);
    }
  }
}

function customers(table: IdentityTable, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.map((key) => [key, table.customerOf(key)]));
}

describe('resolveIdentityLinks', () => {
  it('moves an identified anonymous id along when its user is aliased to another user', () => {
    const table = new IdentityTable();
    table.write(identify('x', 'A', 0));
    table.write(alias('A', 'B', 10));
    expect(customers(table, ['a:x', 'u:A', 'a:A', 'u:B'])).toEqual({
      'a:x': 'u:B',
      'u:A': 'u:B',
      'a:A': 'u:B',
      'u:B': 'u:B',
    });
    table.expectFlat();
  });

  it('links an anonymous id straight to the root when the alias came first', () => {
    const table = new IdentityTable();
    table.write(alias('A', 'B', 0));
    const rows = table.write(identify('x', 'A', 10));
    expect(rows.map((r) => [r.aliasKey, r.customerKey])).toEqual([['a:x', 'u:B']]);
    expect(customers(table, ['a:x', 'u:A'])).toEqual({ 'a:x': 'u:B', 'u:A': 'u:B' });
    table.expectFlat();
  });

  it('follows chains of any depth, in any order of arrival', () => {
    const steps = [identify('x', 'A', 0), alias('A', 'B', 10), alias('B', 'C', 20), identify('y', 'B', 30)];
    for (const order of [
      [0, 1, 2, 3],
      [2, 1, 0, 3],
      [3, 2, 0, 1],
      [1, 3, 2, 0],
    ]) {
      const table = new IdentityTable();
      for (const step of order) table.write(steps[step] ?? []);
      expect(customers(table, ['a:x', 'a:y', 'u:A', 'u:B', 'a:A', 'a:B'])).toEqual({
        'a:x': 'u:C',
        'a:y': 'u:C',
        'u:A': 'u:C',
        'u:B': 'u:C',
        'a:A': 'u:C',
        'a:B': 'u:C',
      });
      table.expectFlat();
    }
  });

  it('resolves links that arrive in one batch against each other', () => {
    const table = new IdentityTable();
    const rows = table.write([...identify('x', 'A', 0), ...alias('A', 'B', 10), ...alias('B', 'C', 20)]);
    expect(new Set(rows.map((r) => r.customerKey))).toEqual(new Set(['u:C']));
    expect(rows.map((r) => r.aliasKey).sort()).toEqual(['a:A', 'a:B', 'a:x', 'u:A', 'u:B']);
    table.expectFlat();
  });

  it('lets the newer of two links that would form a cycle decide the root, and never stores a cycle', () => {
    const table = new IdentityTable();
    table.write([...identify('x', 'A', 0), ...alias('A', 'B', 10)]);
    table.write(alias('B', 'A', 20));
    expect(customers(table, ['a:x', 'u:A', 'a:A', 'u:B', 'a:B'])).toEqual({
      'a:x': 'u:A',
      'u:A': 'u:A',
      'a:A': 'u:A',
      'u:B': 'u:A',
      'a:B': 'u:A',
    });
    table.expectFlat();

    // An older link back (it reached the processor late) changes nothing.
    expect(table.write(alias('A', 'B', 5))).toEqual([]);
    expect(customers(table, ['a:x', 'u:B'])).toEqual({ 'a:x': 'u:A', 'u:B': 'u:A' });

    // In one batch too.
    const batch = new IdentityTable();
    batch.write([...alias('A', 'B', 10), ...alias('B', 'A', 20)]);
    expect(customers(batch, ['u:A', 'u:B'])).toEqual({ 'u:A': 'u:A', 'u:B': 'u:A' });
    batch.expectFlat();
  });

  it('moves a relinked anonymous id alone, and the latest link wins', () => {
    const table = new IdentityTable();
    table.write([...identify('x', 'A', 0), ...identify('y', 'A', 1)]);
    table.write(identify('x', 'C', 10));
    expect(customers(table, ['a:x', 'a:y', 'u:A'])).toEqual({ 'a:x': 'u:C', 'a:y': 'u:A', 'u:A': 'u:A' });
    // A link older than the one the id has now loses, whenever it arrives.
    expect(table.write(identify('x', 'D', 5))).toEqual([]);
    expect(table.customerOf('a:x')).toBe('u:C');
    // A relinked user id moves alone too: what was compressed onto B through it stays with B.
    table.write(alias('A', 'B', 20));
    table.write(alias('A', 'E', 30));
    expect(customers(table, ['a:y', 'u:A'])).toEqual({ 'a:y': 'u:B', 'u:A': 'u:E' });
    table.expectFlat();
  });

  it('writes re-pointed rows strictly newer than the rows they replace, keeping their own time', () => {
    const table = new IdentityTable();
    table.write(identify('x', 'A', 10));
    // The alias happened earlier (its event reached the processor late).
    table.write(alias('A', 'B', 5));
    const latest = table.latest();
    expect(latest.get('p\u0000a:x')).toMatchObject({ customerKey: 'u:B', linkedAt: at(10) + 1 });
    expect(latest.get('p\u0000u:A')).toMatchObject({ customerKey: 'u:B', linkedAt: at(5) });
    // So the id's own later link still wins over the re-pointed row.
    table.write(identify('x', 'C', 11));
    expect(table.customerOf('a:x')).toBe('u:C');
  });

  it('writes nothing when links are redelivered or replayed', () => {
    const table = new IdentityTable();
    const history = [
      identify('x', 'A', 0),
      alias('A', 'B', 10),
      identify('y', 'B', 15),
      alias('B', 'A', 20),
      identify('x', 'C', 30),
    ];
    for (const links of history) table.write(links);
    const before = table.rows.length;
    for (const links of history) expect(table.write(links)).toEqual([]);
    expect(table.write(history.flat())).toEqual([]);
    expect(table.rows).toHaveLength(before);
  });

  it('re-affirms a link with a newer time, so an older relink arriving late still loses', () => {
    const table = new IdentityTable();
    table.write(identify('x', 'A', 0));
    expect(table.write(identify('x', 'A', 20)).map((r) => r.linkedAt)).toEqual([at(20)]);
    table.write(identify('x', 'C', 10));
    expect(table.customerOf('a:x')).toBe('u:A');
  });

  it('flattens chains and breaks cycles that are already stored', () => {
    // Rows as two processor members write them when each links without seeing the other's row.
    const table = new IdentityTable();
    table.insert([
      link('a:x', 'u:A', at(0)),
      link('u:A', 'u:B', at(1)),
      link('u:B', 'u:C', at(2)),
      link('u:D', 'u:E', at(3)),
      link('u:E', 'u:D', at(4)),
    ]);
    const rows = resolveIdentityLinks([...table.latest().values()], []);
    table.insert(rows);
    expect(customers(table, ['a:x', 'u:A', 'u:B', 'u:D', 'u:E'])).toEqual({
      'a:x': 'u:C',
      'u:A': 'u:C',
      'u:B': 'u:C',
      // E → D is the newest link of the cycle: D is the customer's key.
      'u:D': 'u:D',
      'u:E': 'u:D',
    });
    table.expectFlat();
    expect(resolveIdentityLinks([...table.latest().values()], [])).toEqual([]);
  });

  it('keeps projects apart', () => {
    const table = new IdentityTable();
    table.write([...identify('x', 'A', 0, 'p'), ...identify('x', 'A', 0, 'q')]);
    table.write(alias('A', 'B', 10, 'p'));
    expect(table.customerOf('a:x', 'p')).toBe('u:B');
    expect(table.customerOf('a:x', 'q')).toBe('u:A');
  });
});

describe('identityLookupOf', () => {
  it('asks for the aliases and targets, and for what belongs to the aliases', () => {
    expect(identityLookupOf([...identify('x', 'A', 0), ...alias('A', 'B', 1)])).toEqual({
      projectIds: ['p'],
      aliasKeys: ['a:x', 'u:A', 'a:A', 'u:B'],
      customerKeys: ['a:x', 'a:A', 'u:A'],
    });
  });
});

/** Segment calls that link ids, each at its own time, in the order the processor receives them. */
const calls = fc.uniqueArray(
  fc.record({
    call: fc.oneof(
      fc.record({ type: fc.constant('identify'), from: fc.constantFrom('x', 'y', 'z') }),
      fc.record({ type: fc.constant('alias'), from: fc.constantFrom('A', 'B', 'C', 'D') }),
    ),
    userId: fc.constantFrom('A', 'B', 'C', 'D'),
    minutes: fc.integer({ min: 0, max: 10_000 }),
    /** Whether the batch ends after this call. */
    cut: fc.boolean(),
  }),
  { selector: (c) => c.minutes, maxLength: 14 },
);
type Call = typeof calls extends fc.Arbitrary<Array<infer C>> ? C : never;

const linksOf = ({ call, userId, minutes }: Call) =>
  call.type === 'identify' ? identify(call.from, userId, minutes) : alias(call.from, userId, minutes);

function batchesOf(sequence: readonly Call[]): IdentityLink[][] {
  const batches: IdentityLink[][] = [[]];
  for (const c of sequence) {
    batches.at(-1)?.push(...linksOf(c));
    if (c.cut) batches.push([]);
  }
  return batches.filter((b) => b.length > 0);
}

/** Drops calls that would link an alias a second time: then linking only ever merges customers. */
function linkingEachAliasOnce(sequence: readonly Call[]): Call[] {
  const linked = new Set<string>();
  return sequence.filter((c) => {
    if (c.call.type === 'alias' && c.call.from === c.userId) return false;
    const aliases = linksOf(c).map((l) => l.aliasKey);
    if (aliases.some((a) => linked.has(a))) return false;
    for (const a of aliases) linked.add(a);
    return true;
  });
}

/** The customers as sets of keys, from plain union-find over every link: what the map must agree with. */
function componentsOf(links: readonly IdentityLink[]): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    const p = parent.get(key) ?? key;
    if (p === key) return key;
    const root = find(p);
    parent.set(key, root);
    return root;
  };
  for (const l of links) parent.set(find(l.aliasKey), find(l.customerKey));
  return new Map([...new Set(links.flatMap((l) => [l.aliasKey, l.customerKey]))].map((k) => [k, find(k)]));
}

function expectSameCustomers(table: IdentityTable, links: readonly IdentityLink[]): void {
  const components = componentsOf(links);
  const keys = [...components.keys()];
  for (const a of keys) {
    for (const b of keys) {
      expect(table.customerOf(a) === table.customerOf(b), `${a} and ${b}`).toBe(
        components.get(a) === components.get(b),
      );
    }
  }
}

describe('resolveIdentityLinks (property-based)', () => {
  it('merges exactly the connected ids, in any order of arrival and any batching', () => {
    fc.assert(
      fc.property(calls, (generated) => {
        const sequence = linkingEachAliasOnce(generated);
        const table = new IdentityTable();
        for (const batch of batchesOf(sequence)) table.write(batch);
        table.expectFlat();
        expectSameCustomers(table, sequence.flatMap(linksOf));
      }),
      { numRuns: 1000 },
    );
  });

  it('converges when two processor members link the same customers at the same time', () => {
    fc.assert(
      fc.property(calls, fc.array(fc.boolean(), { maxLength: 14 }), (generated, onSecond) => {
        const sequence = linkingEachAliasOnce(generated);
        const members: IdentityLink[][][] = [[], []];
        batchesOf(sequence).forEach((batch, i) => {
          members[onSecond[i] ? 1 : 0]?.push(batch);
        });
        const [first = [], second = []] = members;
        const table = new IdentityTable();
        for (let i = 0; i < Math.max(first.length, second.length); i++) {
          // Both read before either writes, then each checks what it wrote against what is there now
          // and repairs it, as linkIdentities does.
          const batches = [first[i] ?? [], second[i] ?? []];
          const written = batches.map((links) =>
            resolveIdentityLinks(table.read(identityLookupOf(links)), links),
          );
          for (const rows of written) table.insert(rows);
          batches.forEach((links, m) => {
            const touched = [...links, ...(written[m] ?? [])];
            table.insert(resolveIdentityLinks(table.read(identityLookupOf(touched)), []));
          });
        }
        table.expectFlat();
        expectSameCustomers(table, sequence.flatMap(linksOf));
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps the map flat and replays idempotent when ids are relinked', () => {
    fc.assert(
      fc.property(calls, (generated) => {
        const sequence = generated.filter((c) => c.call.type === 'identify' || c.call.from !== c.userId);
        const table = new IdentityTable();
        const batches = batchesOf(sequence);
        for (const batch of batches) table.write(batch);
        table.expectFlat();
        for (const batch of batches) expect(table.write(batch)).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });
});
