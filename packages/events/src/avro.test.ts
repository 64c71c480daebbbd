import { describe, expect, it } from 'vitest';
import type { DecodeResult } from './avro.ts';
import {
  AVRO_DECODE_FAILURE_REASONS,
  AvroEncodeError,
  createAvroCodec,
  SINGLE_OBJECT_HEADER_BYTES,
} from './avro.ts';
import type { AvroSchema } from './fingerprint.ts';
import { schemaFingerprint } from './fingerprint.ts';
import { randomBytes, seededRandom } from './fixtures/seeded-random.ts';

const OrderSchema: AvroSchema = {
  type: 'record',
  name: 'Order',
  namespace: 'test.shop',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['OPEN', 'PAID'] } },
    { name: 'total', type: 'double' },
    { name: 'coupon', type: ['null', 'string'], default: null },
    {
      name: 'lines',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Line',
          fields: [
            { name: 'sku', type: 'string' },
            { name: 'quantity', type: 'int' },
          ],
        },
      },
    },
    { name: 'attributes', type: { type: 'map', values: 'string' } },
    { name: 'hash', type: { type: 'fixed', name: 'Hash', size: 4 } },
    { name: 'markers', type: { type: 'array', items: 'null' }, doc: 'items that take no bytes' },
  ],
};

interface Order {
  id: string;
  status: 'OPEN' | 'PAID';
  total: number;
  coupon: string | null;
  lines: { sku: string; quantity: number }[];
  attributes: Record<string, string>;
  hash: Buffer;
  markers: null[];
}

const order: Order = {
  id: 'o-1',
  status: 'PAID',
  total: 129.9,
  coupon: null,
  lines: [
    { sku: 'sku-8812', quantity: 2 },
    { sku: 'sku-1203', quantity: 1 },
  ],
  attributes: { channel: 'web', gift: 'yes' },
  hash: Buffer.from('cafe', 'utf8'),
  markers: [null, null],
};

const orderCodec = createAvroCodec<Order>({ schema: OrderSchema });
const header = orderCodec.encode(order).subarray(0, SINGLE_OBJECT_HEADER_BYTES);

function expectFailure<T>(result: DecodeResult<T>, reason: string): void {
  expect(result.ok ? 'ok' : result.reason).toBe(reason);
}

function zigzag(n: number): Buffer {
  let value = n >= 0 ? 2 * n : -2 * n - 1;
  const bytes: number[] = [];
  while (value >= 0x80) {
    bytes.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  bytes.push(value);
  return Buffer.from(bytes);
}

function message(...parts: (Buffer | number[])[]): Buffer {
  return Buffer.concat([header, ...parts.map((part) => Buffer.from(part))]);
}

const str = (s: string) => Buffer.concat([zigzag(Buffer.byteLength(s)), Buffer.from(s)]);
/** id, status, total, coupon: everything before `lines` in an Order body. */
const orderHead = () => Buffer.concat([str('o'), zigzag(0), Buffer.alloc(8), zigzag(0)]);

describe('createAvroCodec', () => {
  it('writes C3 01, the little-endian CRC-64-AVRO fingerprint, then the body', () => {
    const encoded = orderCodec.encode(order);
    expect(encoded.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
    expect(encoded.readBigUInt64LE(2)).toBe(schemaFingerprint(OrderSchema));
    expect(orderCodec.fingerprint).toBe(schemaFingerprint(OrderSchema));
    expect(orderCodec.knownFingerprints).toEqual([orderCodec.fingerprint]);
  });

  it('round-trips a record', () => {
    const result = orderCodec.decode(orderCodec.encode(order));
    expect(result).toEqual({ ok: true, value: order });
  });

  it('decodes any Uint8Array view, not only Buffers', () => {
    const encoded = orderCodec.encode(order);
    const padded = new Uint8Array(encoded.length + 7);
    padded.set(encoded, 3);
    expect(orderCodec.decode(padded.subarray(3, 3 + encoded.length))).toEqual({ ok: true, value: order });
  });

  it('returns buffers of its own, also for values larger than its scratch space', () => {
    const big = { ...order, id: 'x'.repeat(100_000) };
    const first = orderCodec.encode(order);
    const snapshot = Buffer.from(first);
    const large = orderCodec.encode(big);
    const larger = orderCodec.encode({ ...big, id: 'y'.repeat(300_000) });
    orderCodec.encode({ ...order, id: 'o-2' });
    expect(first).toEqual(snapshot);
    expect(orderCodec.decode(large)).toEqual({ ok: true, value: big });
    expect(larger.length).toBeGreaterThan(300_000);
    expect(orderCodec.decode(first)).toEqual({ ok: true, value: order });
  });

  it('throws AvroEncodeError naming the fields a value gets wrong', () => {
    const bad = { ...order, total: 'free', status: 'LOST' } as unknown as Order;
    let error: unknown;
    try {
      orderCodec.encode(bad);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AvroEncodeError);
    expect((error as AvroEncodeError).paths).toEqual(['status', 'total']);
    expect((error as AvroEncodeError).code).toBe('avro-encode');
  });

  it('refuses unions that only wrapped values could tell apart', () => {
    expect(() => createAvroCodec({ schema: ['int', 'long'] })).toThrow();
  });

  it('refuses a writer schema that cannot be resolved into the reader', () => {
    const writer: AvroSchema = {
      type: 'record',
      name: 'Order',
      namespace: 'test.shop',
      fields: [{ name: 'id', type: 'long' }],
    };
    expect(() => createAvroCodec({ schema: OrderSchema, writerSchemas: [writer] })).toThrow(
      /cannot be read as/,
    );
  });

  it('counts a writer schema once however it is spelled', () => {
    const respelled = JSON.parse(
      JSON.stringify({ ...(OrderSchema as object), doc: 'same shape' }),
    ) as AvroSchema;
    const codec = createAvroCodec<Order>({ schema: OrderSchema, writerSchemas: [respelled, OrderSchema] });
    expect(codec.knownFingerprints).toEqual([orderCodec.fingerprint]);
  });
});

describe('decode failures', () => {
  it('publishes its reason codes', () => {
    expect(AVRO_DECODE_FAILURE_REASONS).toEqual([
      'bad-magic',
      'unknown-fingerprint',
      'truncated',
      'invalid-body',
    ]);
  });

  it('bad-magic: JSON, another version byte, a lone wrong byte', () => {
    expectFailure(orderCodec.decode(Buffer.from('{"id":"o-1"}')), 'bad-magic');
    const version2 = orderCodec.encode(order);
    version2[1] = 0x02;
    expectFailure(orderCodec.decode(version2), 'bad-magic');
    const result = orderCodec.decode(Buffer.from([0x7b]));
    expect(result).toEqual({ ok: false, reason: 'bad-magic', detail: 'expected c3 01, got 7b' });
  });

  it('unknown-fingerprint, with the fingerprint in the detail', () => {
    const encoded = orderCodec.encode(order);
    encoded.writeBigUInt64LE(0x0123456789abcdefn, 2);
    expect(orderCodec.decode(encoded)).toEqual({
      ok: false,
      reason: 'unknown-fingerprint',
      detail: 'writer schema 0123456789abcdef is not one this consumer knows',
    });
  });

  it('truncated: the empty buffer and every proper prefix of a message', () => {
    const encoded = orderCodec.encode(order);
    for (let length = 0; length < encoded.length; length++) {
      expectFailure(orderCodec.decode(encoded.subarray(0, length)), 'truncated');
    }
  });

  it('invalid-body: trailing bytes, a union or enum index out of range', () => {
    expectFailure(
      orderCodec.decode(Buffer.concat([orderCodec.encode(order), Buffer.from([0])])),
      'invalid-body',
    );
    const union = createAvroCodec<string | null>({ schema: ['null', 'string'] });
    const unionHeader = union.encode(null).subarray(0, SINGLE_OBJECT_HEADER_BYTES);
    expectFailure(union.decode(Buffer.concat([unionHeader, zigzag(2)])), 'invalid-body');
    const status = createAvroCodec<string>({ schema: { type: 'enum', name: 'S', symbols: ['A'] } });
    const statusHeader = status.encode('A').subarray(0, SINGLE_OBJECT_HEADER_BYTES);
    expectFailure(status.decode(Buffer.concat([statusHeader, zigzag(5)])), 'invalid-body');
    expectFailure(status.decode(Buffer.concat([statusHeader, zigzag(-1)])), 'invalid-body');
  });

  it('huge counts and lengths fail fast instead of allocating', () => {
    // 2^31 lines in a few bytes: avsc alone would loop and grow an array two billion times.
    expectFailure(orderCodec.decode(message(orderHead(), zigzag(2 ** 31))), 'truncated');
    expectFailure(orderCodec.decode(message(orderHead(), zigzag(-(2 ** 31)), zigzag(10))), 'truncated');
    expectFailure(orderCodec.decode(message(orderHead(), zigzag(-1), zigzag(-5))), 'invalid-body');
    // A map of 2^40 entries; a string of length 2^50.
    expectFailure(orderCodec.decode(message(orderHead(), zigzag(0), zigzag(2 ** 40))), 'truncated');
    expectFailure(orderCodec.decode(message(zigzag(2 ** 50), Buffer.from('o'))), 'truncated');
    expectFailure(orderCodec.decode(message(zigzag(-7))), 'invalid-body');
    // Items of zero bytes: the count cannot be checked against the size, so it is capped.
    const empty = Buffer.concat([zigzag(0), zigzag(0), Buffer.from('cafe')]);
    expectFailure(orderCodec.decode(message(orderHead(), empty, zigzag(2 ** 31), zigzag(0))), 'invalid-body');
    const markers = Buffer.concat([zigzag(1000), zigzag(0)]);
    const fine = orderCodec.decode(message(orderHead(), empty, markers));
    expect(fine.ok && fine.value.markers.length).toBe(1000);
    // An over-long varint.
    expectFailure(orderCodec.decode(message(orderHead(), Buffer.alloc(11, 0xff), [0])), 'invalid-body');
  });

  it('deep nesting of a recursive schema is a failure, not a stack overflow', () => {
    const node: AvroSchema = {
      type: 'record',
      name: 'Node',
      fields: [
        { name: 'value', type: 'int' },
        { name: 'next', type: ['null', 'Node'] },
      ],
    };
    const list = createAvroCodec<unknown>({ schema: node });
    const listHeader = list.encode({ value: 1, next: null }).subarray(0, SINGLE_OBJECT_HEADER_BYTES);
    const deep = Buffer.concat([
      listHeader,
      Buffer.alloc(400_000).fill(Buffer.from([0x00, 0x02])),
      zigzag(0),
    ]);
    expectFailure(list.decode(deep), 'invalid-body');
  });

  it('never throws on random bytes, with or without a valid header', () => {
    const random = seededRandom(20_260_101);
    const reasons = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const body = randomBytes(random, Math.floor(random() * 80));
      for (const input of [body, Buffer.concat([header, body])]) {
        const result = orderCodec.decode(input);
        reasons.add(result.ok ? 'ok' : result.reason);
      }
    }
    expect([...reasons].sort()).toEqual(['bad-magic', 'invalid-body', 'truncated']);
  });

  it('never throws on corrupted messages', () => {
    const random = seededRandom(7);
    const encoded = orderCodec.encode(order);
    const outcomes = new Set<boolean>();
    for (let i = 0; i < 5_000; i++) {
      const corrupted = Buffer.from(encoded);
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
        const at =
          SINGLE_OBJECT_HEADER_BYTES + Math.floor(random() * (encoded.length - SINGLE_OBJECT_HEADER_BYTES));
        corrupted[at] = Math.floor(random() * 256);
      }
      outcomes.add(orderCodec.decode(corrupted).ok);
    }
    expect([...outcomes].sort()).toEqual([false, true]);
  });
});
