/**
 * A table as CSV (RFC 4180: comma-separated, CRLF line ends, a field quoted when it holds a quote, comma or
 * line break, its quotes doubled). Event names, page paths and customer keys are chosen by whoever sends
 * touchpoints, so a field a spreadsheet would read as a formula gets a leading apostrophe (OWASP's CSV
 * injection advice); a plain number is left alone, since a negative lift must stay a number.
 */
export function toCsv(rows: readonly (readonly string[])[]): string {
  return `${rows.map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvField(value: string): string {
  const safe = FORMULA_START.test(value) && !PLAIN_NUMBER.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export interface TableCell {
  readonly value: string;
  readonly rowSpan: number;
  readonly colSpan: number;
}

/**
 * A table's rows of cells as a grid: a cell spanning rows or columns is followed by empty fields in the
 * places it covers, so every value stays under its column (a two-row header with a "Stage" spanning both).
 */
export function cellGrid(rows: readonly (readonly TableCell[])[]): string[][] {
  const grid: string[][] = rows.map(() => []);
  rows.forEach((cells, r) => {
    const line = grid[r] as string[];
    let column = 0;
    for (const cell of cells) {
      while (line[column] !== undefined) column++;
      for (let dr = 0; dr < Math.max(1, cell.rowSpan) && r + dr < rows.length; dr++) {
        for (let dc = 0; dc < Math.max(1, cell.colSpan); dc++) {
          (grid[r + dr] as string[])[column + dc] = dr === 0 && dc === 0 ? cell.value : '';
        }
      }
      column += Math.max(1, cell.colSpan);
    }
  });
  return grid.map((line) => Array.from(line, (value) => value ?? ''));
}

/** `Stage funnel table` → `stage-funnel-table`: a file name's part from any text. */
export const fileNamePart = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
