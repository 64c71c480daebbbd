/**
 * A UUIDv7 (RFC 9562): 48-bit millisecond time, then 72 random bits (the variant nibble is fixed at 8, one
 * of the four allowed), so message ids sort by creation.
 */
export function uuidv7(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  const random = crypto.getRandomValues(new Uint8Array(32));
  let i = 0;
  // t: time, r: random; 7 is the version.
  return 'tttttttt-tttt-7rrr-8rrr-rrrrrrrrrrrr'.replace(/[tr]/g, (c) =>
    c === 't' ? (time[i++] as string) : ((random[i++] as number) & 15).toString(16),
  );
}
