/**
 * Splits a migration file into statements at `;` outside string literals, quoted identifiers and
 * comments (ClickHouse over HTTP runs one statement per request). Comment-only pieces are dropped.
 */
export function splitSqlStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let hasCode = false;
  let i = 0;
  while (i < sql.length) {
    const char = sql[i] as string;
    const next = sql[i + 1];
    if (char === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      current += sql.slice(i, stop);
      i = stop;
    } else if (char === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      const stop = end === -1 ? sql.length : end + 2;
      current += sql.slice(i, stop);
      i = stop;
    } else if (char === "'" || char === '"' || char === '`') {
      const stop = endOfQuoted(sql, i, char);
      current += sql.slice(i, stop);
      hasCode = true;
      i = stop;
    } else if (char === ';') {
      if (hasCode) statements.push(current.trim());
      current = '';
      hasCode = false;
      i += 1;
    } else {
      current += char;
      if (!/\s/.test(char)) hasCode = true;
      i += 1;
    }
  }
  if (hasCode) statements.push(current.trim());
  return statements;
}

/** Index just past the closing quote; both `\x` escapes and doubled quotes (`''`) are honoured. */
function endOfQuoted(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    const char = sql[i];
    if (char === '\\') {
      i += 2;
    } else if (char === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  return sql.length;
}
