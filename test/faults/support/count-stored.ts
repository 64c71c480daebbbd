// Prints the stored-touchpoint counts of one project as JSON: `count-stored.ts <clickhouse dir> <project>`.
// Run in a process of its own by ground-truth.ts (chDB binds one data directory per process).
import { createClickHouse } from '@waymark/clickhouse';

const [dataDir, projectId] = process.argv.slice(2);
if (dataDir === undefined || projectId === undefined) {
  process.stderr.write('usage: count-stored.ts <clickhouse data dir> <project id>\n');
  process.exit(2);
}
const client = await createClickHouse({ dataDir });
try {
  const rows = async <T>(query: string) =>
    (await (await client.query({ query, query_params: { projectId }, format: 'JSONEachRow' })).json()) as T[];
  const final = await rows<{ message_id: string; copies: number }>(
    'SELECT message_id, count() AS copies FROM touchpoints FINAL WHERE project_id = {projectId:String} GROUP BY message_id',
  );
  const [raw] = await rows<{ rows: number }>(
    'SELECT count() AS rows FROM touchpoints WHERE project_id = {projectId:String}',
  );
  process.stdout.write(
    JSON.stringify({
      stored: final.map((r) => r.message_id),
      doubled: final.filter((r) => Number(r.copies) > 1).map((r) => r.message_id),
      rawRows: Number(raw?.rows ?? 0),
    }),
  );
} finally {
  await client.close();
}
