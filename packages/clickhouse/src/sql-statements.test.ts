import { describe, expect, it } from 'vitest';
import { splitSqlStatements } from './sql-statements.ts';

describe('splitSqlStatements', () => {
  it('splits on semicolons and drops comment-only pieces', () => {
    const sql = `-- header; with a semicolon
CREATE TABLE a (x UInt8) ENGINE = Memory;

/* block; comment */
CREATE TABLE b (x UInt8) ENGINE = Memory;
-- trailing comment;
`;
    expect(splitSqlStatements(sql)).toEqual([
      '-- header; with a semicolon\nCREATE TABLE a (x UInt8) ENGINE = Memory',
      '/* block; comment */\nCREATE TABLE b (x UInt8) ENGINE = Memory',
    ]);
  });

  it('keeps semicolons inside strings and quoted identifiers', () => {
    const sql = `SELECT 'a;b', 'it''s;', 'back\\';slash', "col;1", \`col;2\`; SELECT 2`;
    expect(splitSqlStatements(sql)).toEqual([
      `SELECT 'a;b', 'it''s;', 'back\\';slash', "col;1", \`col;2\``,
      'SELECT 2',
    ]);
  });

  it('keeps a last statement without a semicolon', () => {
    expect(splitSqlStatements('SELECT 1')).toEqual(['SELECT 1']);
    expect(splitSqlStatements('  \n-- nothing\n')).toEqual([]);
  });
});
