/** A UUIDv7 (RFC 9562): 48-bit millisecond time, then random bits, so message ids sort by creation. */
export function uuidv7(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  const random = crypto.getRandomValues(new Uint8Array(32));
  let i = 0;
  // t: time, 7: version, v: variant (0b10xx), r: random.
  return 'tttttttt-tttt-7rrr-vrrr-rrrrrrrrrrrr'.replace(/[trv]/g, (c) =>
    c === 't' ? (time[i++] as string) : ((random[i++] as number) & (c === 'v' ? 3 : 15) | (c === 'v' ? 8 : 0)).toString(16),
  );
}
