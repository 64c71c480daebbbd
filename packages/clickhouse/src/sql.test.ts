import { describe, expect, it } from 'vitest';
import { isClickHouseStorageError } from './errors.ts';
import { buildQuery, collectCtes, cte, QueryParams } from './sql.ts';

const conflict = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return isClickHouseStorageError(error, 'CLICKHOUSE_SQL_CONFLICT');
  }
  return false;
};

describe('QueryParams', () => {
  it('allocates a placeholder of its own to every bound value', () => {
    const params = new QueryParams();
    expect(params.bind('a', 'String')).toBe('{p0:String}');
    expect(params.bind('a', 'String')).toBe('{p1:String}');
    expect(params.bind([1, 2], 'Array(Int64)')).toBe('{p2:Array(Int64)}');
    expect(params.values).toEqual({ p0: 'a', p1: 'a', p2: [1, 2] });
  });

  it('lets two parts name the same value, and refuses one name for two values or types', () => {
    const params = new QueryParams();
    expect(params.named('projectId', 'p1', 'String')).toBe('{projectId:String}');
    expect(params.named('projectId', 'p1', 'String')).toBe('{projectId:String}');
    expect(conflict(() => params.named('projectId', 'p2', 'String'))).toBe(true);
    expect(conflict(() => params.named('projectId', 'p1', 'UInt8'))).toBe(true);
    expect(conflict(() => params.named('p0', 1, 'UInt8'))).toBe(true);
  });
});

const links = (projectId: string) =>
  cte(
    'links',
    (p) => `SELECT alias_key FROM identities WHERE project_id = ${p.named('projectId', projectId, 'String')}`,
  );

describe('collectCtes', () => {
  it('orders CTEs after those they use and writes a shared one once', () => {
    const a = links('x');
    const b = cte('b', () => 'SELECT * FROM links', [a]);
    const c = cte('c', () => 'SELECT * FROM links, b', [links('x'), b]);
    expect(collectCtes([c, a]).map((part) => part.name)).toEqual(['links', 'b', 'c']);
  });

  it('refuses two different CTEs of the same name', () => {
    expect(conflict(() => collectCtes([links('x'), links('y')]))).toBe(true);
    expect(conflict(() => collectCtes([links('x'), cte('links', () => 'SELECT 1')]))).toBe(true);
  });

  it('tells CTEs apart by their bound values, not by the placeholder names they were given', () => {
    const scoped = (value: string) => cte('scoped', (p) => `SELECT ${p.bind(value, 'String')}`);
    expect(collectCtes([scoped('a'), scoped('a')])).toHaveLength(1);
    expect(conflict(() => collectCtes([scoped('a'), scoped('b')]))).toBe(true);
  });
});

describe('buildQuery', () => {
  it('writes the WITH clause and the select with one set of parameters', () => {
    const b = cte('b', (p) => `SELECT * FROM links WHERE x = ${p.bind(3, 'UInt8')}`, [links('x')]);
    const query = buildQuery([b], (p) => `SELECT count() FROM b WHERE y = ${p.bind('v', 'String')}`);
    expect(query.sql).toBe(`WITH
  links AS (SELECT alias_key FROM identities WHERE project_id = {projectId:String}),
  b AS (SELECT * FROM links WHERE x = {p0:UInt8})
SELECT count() FROM b WHERE y = {p1:String}`);
    expect(query.params).toEqual({ projectId: 'x', p0: 3, p1: 'v' });
  });

  it('is the select alone without CTEs', () => {
    expect(buildQuery([], (p) => `SELECT ${p.bind(1, 'UInt8')}`)).toEqual({
      sql: 'SELECT {p0:UInt8}',
      params: { p0: 1 },
    });
  });

  it('refuses a placeholder nobody bound, one of another type, and a parameter nobody uses', () => {
    expect(conflict(() => buildQuery([], () => 'SELECT {limit:UInt32}'))).toBe(true);
    expect(conflict(() => buildQuery([], (p) => `SELECT ${p.named('n', 1, 'UInt8')} + {n:UInt32}`))).toBe(
      true,
    );
    expect(
      conflict(() =>
        buildQuery([], (p) => {
          p.bind(1, 'UInt8');
          return 'SELECT 1';
        }),
      ),
    ).toBe(true);
  });
});
