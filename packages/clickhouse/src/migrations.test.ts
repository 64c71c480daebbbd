import { describe, expect, it } from 'vitest';
import { loadMigrations, renderMigration } from './migrations.ts';

describe('renderMigration', () => {
  const sql =
    'CREATE TABLE IF NOT EXISTS t {onCluster} (x UInt8) ENGINE = {replicated}ReplacingMergeTree ORDER BY x;';

  it('removes the placeholders on a single node', () => {
    expect(renderMigration({ sql })).toEqual([
      'CREATE TABLE IF NOT EXISTS t  (x UInt8) ENGINE = ReplacingMergeTree ORDER BY x',
    ]);
  });

  it('fills them for a cluster', () => {
    expect(renderMigration({ sql }, 'waymark')).toEqual([
      'CREATE TABLE IF NOT EXISTS t ON CLUSTER `waymark` (x UInt8) ENGINE = ReplicatedReplacingMergeTree ORDER BY x',
    ]);
  });

  it('refuses a cluster name that could inject SQL', () => {
    expect(() => renderMigration({ sql }, 'x` ; DROP TABLE t; --')).toThrow(
      expect.objectContaining({ code: 'CLICKHOUSE_MIGRATION_INVALID' }),
    );
  });
});

describe('the repository migrations', () => {
  it('are numbered from 1 without gaps and render for both modes', async () => {
    const migrations = await loadMigrations();
    expect(migrations.map((migration) => migration.version)).toEqual(migrations.map((_, i) => i + 1));
    for (const migration of migrations) {
      for (const statement of [...renderMigration(migration), ...renderMigration(migration, 'c')]) {
        expect(statement).not.toMatch(/\{(onCluster|replicated)\}/);
        // A migration interrupted half-way is run again from its start, so every statement must be safe to
        // repeat: CREATE/ADD … IF NOT EXISTS, MODIFY QUERY/COLUMN/TTL (which set what they set again), a
        // column written with a constant, or a backfill into stage_reach or kpi_activity, whose columns are all
        // idempotent aggregates (min, max, uniq arrays) that a repeated row cannot change.
        expect(statement).toMatch(
          /IF NOT EXISTS|MODIFY (QUERY|COLUMN|TTL)|UPDATE \w+ = toDateTime\(\d+, 'UTC'\) WHERE 1|^\s*INSERT INTO (stage_reach|kpi_activity)\b/m,
        );
      }
    }
  });
});
