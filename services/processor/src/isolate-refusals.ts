export interface Refused<T, R> {
  item: T;
  refusal: R;
}

export interface IsolatedWrite<T, R, W> {
  /** What each accepted write returned, in the order the writes ran (the items' order). */
  written: W[];
  /** The items the store refused on their own, in their order. */
  refused: Array<Refused<T, R>>;
}

/**
 * Writes `items`; when the store refuses the write because of the data (`refusalOf` says why), splits it
 * in halves and writes each, down to single items, so that one bad record costs about 2·log2(n) extra
 * writes instead of the partition. Halves are written one after the other, first half first, which keeps
 * one customer's records in order. Any other error (the store being unavailable) is thrown as is:
 * `write` is expected to retry those itself.
 */
export async function writeIsolatingRefusals<T, R, W>(
  items: readonly T[],
  write: (items: readonly T[]) => Promise<W>,
  refusalOf: (error: unknown) => R | undefined,
): Promise<IsolatedWrite<T, R, W>> {
  const out: IsolatedWrite<T, R, W> = { written: [], refused: [] };
  const attempt = async (slice: readonly T[]): Promise<void> => {
    if (slice.length === 0) return;
    try {
      out.written.push(await write(slice));
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal === undefined) throw error;
      const [only] = slice;
      if (slice.length === 1 && only !== undefined) {
        out.refused.push({ item: only, refusal });
        return;
      }
      const middle = Math.ceil(slice.length / 2);
      await attempt(slice.slice(0, middle));
      await attempt(slice.slice(middle));
    }
  };
  await attempt(items);
  return out;
}
