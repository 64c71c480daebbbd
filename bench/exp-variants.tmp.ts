import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickHouse, runMigrations } from '@waymark/clickhouse';
import { generatePopulation } from './generate-population.ts';

const N = Number(process.argv[2] ?? 1_000_000);
const dir = await mkdtemp(join(tmpdir(), 'wm-exp-'));
const ch = await createClickHouse({ dataDir: dir });
await runMigrations(ch);
await generatePopulation(ch, { projectId: 'p', customers: N / 10, touchpoints: N, start: new Date('2024-01-01T00:00:00Z'), entryDays: 60 });
for (const t of ['touchpoints', 'stage_reach', 'identities']) await ch.command({ query: `OPTIMIZE TABLE ${t} FINAL` });
const ks = [1, 2, 3, 4, 5, 6, 7];
const later = ks.slice(1);
const tail = `
SELECT count() AS n1, ${later.map((k) => `countIf(t${k} - t1 <= {windowMs:Int64}) AS n${k}`).join(', ')},
 ${later.map((k) => `quantilesExactInclusiveIf(0.5, 0.9)((t${k} - t${k - 1}) / 1000, t${k} - t1 <= {windowMs:Int64}) AS q${k}`).join(', ')}
FROM customers`;
const links = `links AS (SELECT alias_key, argMax(customer_key, linked_at) AS linked_customer FROM identities WHERE project_id = {projectId:String} GROUP BY alias_key)`;
const mins = ks.map((k) => `min(toUnixTimestamp64Milli(r.first_at_${k})) AS t${k}`).join(', ');
const having = 'HAVING t1 >= {fromMs:Int64} AND t1 < {toMs:Int64}';
const countsOnly = `SELECT count() AS n1, ${later.map((k) => `countIf(t${k} - t1 <= {windowMs:Int64}) AS n${k}`).join(', ')} FROM customers`;
const variants: Record<string, string> = {
  full: `WITH ${links}, customers AS (SELECT if(links.linked_customer = '', r.raw_key, links.linked_customer) AS customer, ${mins}
  FROM stage_reach AS r LEFT JOIN links ON links.alias_key = r.raw_key WHERE r.project_id = {projectId:String} GROUP BY customer ${having}) ${tail}`,
  noJoin: `WITH customers AS (SELECT r.raw_key AS customer, ${mins}
  FROM stage_reach AS r WHERE r.project_id = {projectId:String} GROUP BY customer ${having}) ${tail}`,
  noQuantiles: `WITH ${links}, customers AS (SELECT if(links.linked_customer = '', r.raw_key, links.linked_customer) AS customer, ${mins}
  FROM stage_reach AS r LEFT JOIN links ON links.alias_key = r.raw_key WHERE r.project_id = {projectId:String} GROUP BY customer ${having}) ${countsOnly}`,
  noJoinNoQ: `WITH customers AS (SELECT r.raw_key AS customer, ${mins}
  FROM stage_reach AS r WHERE r.project_id = {projectId:String} GROUP BY customer ${having}) ${countsOnly}`,
  joinOnly: `WITH ${links} SELECT count() AS n1 FROM stage_reach AS r LEFT JOIN links ON links.alias_key = r.raw_key WHERE r.project_id = {projectId:String} AND links.linked_customer != ''`,
  twoCol: '', twoGroups: '', oneGroup: '', twoGroupsInOrder: '',
};
delete variants.twoCol; delete variants.twoGroupsInOrder; delete variants.twoGroups; delete variants.oneGroup;
const params = { projectId: 'p', fromMs: Date.UTC(2024, 0, 1), toMs: Date.UTC(2024, 0, 31), windowMs: 30 * 86400000 };
for (let round = 0; round < 3; round++) {
  for (const [name, sql] of Object.entries(variants)) {
    const times: number[] = [];
    let res = '';
    for (let i = 0; i < 6; i++) {
      const s = performance.now();
      const r = await (await ch.query({ query: sql, format: 'JSONEachRow', query_params: params })).json<Record<string, unknown>>();
      times.push(performance.now() - s);
      res = JSON.stringify([r[0]?.n1, r[0]?.n2, r[0]?.n7, r[0]?.q3]);
    }
    times.sort((a, b) => a - b);
    console.log(name.padEnd(18), times.slice(0, 5).map((t) => t.toFixed(0)).join(' '), 'p50', times[3]?.toFixed(0), res);
  }
}
await ch.close();
await rm(dir, { recursive: true, force: true });
