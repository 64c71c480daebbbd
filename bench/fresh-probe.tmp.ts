import { createRequire } from 'node:module';
import { createClickHouse } from '@waymark/clickhouse';

const require = createRequire(import.meta.resolve('@waymark/clickhouse'));
const { Session } = require('chdb');
const dir = '/tmp/fresh-probe-ch3';
const s = new Session(dir, { connectionArgs: ['--max_server_memory_usage=400000000'] });
const ch = await createClickHouse({ dataDir: dir });
s.close();
const q = async (x: string) =>
  console.log(JSON.stringify(await (await ch.query({ query: x, format: 'JSONEachRow' })).json()));
await q("SELECT getServerSetting('max_server_memory_usage') AS m");
await q('SELECT count() FROM numbers(10)');
await ch.close();
const s2 = new Session(dir, { connectionArgs: ['--max_server_memory_usage=300000000'] });
console.log('reopen', s2.query("SELECT getServerSetting('max_server_memory_usage')", 'CSV'));
const ch2 = await createClickHouse({ dataDir: dir });
const s3 = new Session(dir, { connectionArgs: ['--max_server_memory_usage=200000000'] });
console.log('while open', s3.query("SELECT getServerSetting('max_server_memory_usage')", 'CSV'));
s3.close();
s2.close();
await ch2.close();
