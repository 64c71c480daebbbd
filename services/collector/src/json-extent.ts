/** How far a parsed JSON value reaches: its nesting depth and the UTF-8 size of its JSON text. */
export interface JsonExtent {
  /** The value itself is level 1; the walk stops one level past `maxDepth`. */
  depth: number;
  /** `Buffer.byteLength(JSON.stringify(value))`, or 0 when bytes were not counted. */
  bytes: number;
}

/**
 * Measures a value from JSON.parse without recursion: a deeply nested event (`[[[[…` 5,000 levels) would
 * overflow the stack of JSON.stringify, which is what measuring with it used to do. The walk stops as
 * soon as the value is deeper than `maxDepth` or larger than `maxBytes`, so a hostile value costs at most
 * what a valid one may.
 */
export function jsonExtent(value: unknown, limits: { maxDepth: number; maxBytes?: number }): JsonExtent {
  const countBytes = limits.maxBytes !== undefined;
  const maxBytes = limits.maxBytes ?? Number.POSITIVE_INFINITY;
  const stack: Array<[unknown, number]> = [[value, 1]];
  let depth = 0;
  let bytes = 0;
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [item, level] = next;
    if (level > depth) depth = level;
    if (depth > limits.maxDepth || bytes > maxBytes) break;
    if (item === null || typeof item !== 'object') {
      if (countBytes) bytes += Buffer.byteLength(JSON.stringify(item) ?? 'null');
      continue;
    }
    if (Array.isArray(item)) {
      // Brackets and the commas between the elements.
      if (countBytes) bytes += 2 + Math.max(0, item.length - 1);
      for (const element of item) stack.push([element, level + 1]);
      continue;
    }
    const entries = Object.entries(item as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (countBytes) bytes += 2 + Math.max(0, entries.length - 1);
    for (const [key, entry] of entries) {
      // The quoted key and its colon.
      if (countBytes) bytes += Buffer.byteLength(JSON.stringify(key)) + 1;
      stack.push([entry, level + 1]);
    }
  }
  return { depth, bytes };
}
