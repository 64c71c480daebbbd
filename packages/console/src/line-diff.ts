/**
 * The lines only `a` has and those only `b` has (by index), by a longest-common-subsequence diff: a line
 * inserted in one does not mark every later line as changed, and a moved line is in both lists.
 */
export function diffLines(a: readonly string[], b: readonly string[]): { onlyA: number[]; onlyB: number[] } {
  // common[i][j]: the length of the longest common subsequence of a[i…] and b[j…].
  const common = Array.from({ length: a.length + 1 }, () => Array<number>(b.length + 1).fill(0));
  const at = (i: number, j: number) => common[i]?.[j] ?? 0;
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      (common[i] as number[])[j] =
        a[i] === b[j] ? at(i + 1, j + 1) + 1 : Math.max(at(i + 1, j), at(i, j + 1));
    }
  }
  const onlyA: number[] = [];
  const onlyB: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (j >= b.length || (i < a.length && at(i + 1, j) >= at(i, j + 1))) {
      onlyA.push(i++);
    } else {
      onlyB.push(j++);
    }
  }
  return { onlyA, onlyB };
}
