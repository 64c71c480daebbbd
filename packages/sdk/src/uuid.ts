/** A UUIDv7 (RFC 9562): 48-bit millisecond time, then random bits, so message ids sort by creation. */
export function uuidv7(now = Date.now()): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  for (let i = 5, t = now; i >= 0; i--, t = Math.floor(t / 256)) b[i] = t % 256;
  b[6] = ((b[6] as number) & 15) | 112;
  b[8] = ((b[8] as number) & 63) | 128;
  let s = '';
  b.forEach((x, i) => {
    s += (i === 4 || i === 6 || i === 8 || i === 10 ? '-' : '') + (x + 256).toString(16).slice(1);
  });
  return s;
}
