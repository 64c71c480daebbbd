/**
 * waymark.js size against the scripts of comparable trackers, all measured in this run the same way:
 * minified (as published, or with esbuild when a package ships only its source), then gzip -9 and brotli
 * -11. The peers come from the npm registry (`npm pack` into a temporary directory, nothing kept), at the
 * pinned versions below; update them deliberately.
 *
 *   pnpm exec tsx bench/sdk-size.bench.ts
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompressSync, constants } from 'node:zlib';
import { bundleSdk, gzipSize, SIZE_BUDGET_BYTES } from '@waymark/sdk/bundle';
import { transform } from 'esbuild';

const run = promisify(execFile);

interface Peer {
  name: string;
  /** `package@version` on npm. */
  spec: string;
  /** The file inside the package that a site would load. */
  file: string;
  /** What that file is, for the table. */
  note: string;
  /** The package ships the source only: minify it here (esbuild) like its own build does (terser). */
  minify?: boolean;
}

const PEERS: Peer[] = [
  {
    name: 'Plausible',
    spec: '@plausible-analytics/tracker@0.4.6',
    file: 'plausible.js',
    note: 'npm build of the official script',
  },
  {
    name: 'Umami',
    spec: 'umami@2.10.0',
    file: 'src/tracker/index.js',
    note: 'source of script.js, minified here',
    minify: true,
  },
  {
    name: 'Snowplow',
    spec: '@snowplow/browser-tracker@4.10.1',
    file: 'dist/index.umd.min.js',
    note: 'browser tracker core, no plugins',
  },
  {
    name: 'PostHog',
    spec: 'posthog-js@1.449.2',
    file: 'dist/array.js',
    note: 'the script its snippet loads',
  },
  {
    name: 'Segment',
    spec: '@segment/analytics-next@1.84.3',
    file: 'dist/umd/standalone.js',
    note: 'analytics.js entry (more chunks load later)',
  },
];

interface Measured {
  name: string;
  version: string;
  note: string;
  min: number;
  gzip: number;
  brotli: number;
}

const brotliSize = (code: string) =>
  brotliCompressSync(code, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

function measure(name: string, version: string, note: string, code: string): Measured {
  return {
    name,
    version,
    note,
    min: Buffer.byteLength(code),
    gzip: gzipSize(code),
    brotli: brotliSize(code),
  };
}

async function measurePeer(peer: Peer, dir: string): Promise<Measured> {
  const { stdout } = await run('npm', ['pack', peer.spec, '--json', '--silent', '--pack-destination', dir], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; version: string }>;
  if (!packed) throw new Error(`npm pack ${peer.spec} returned nothing`);
  const tarball = join(dir, packed.filename);
  const { stdout: source } = await run('tar', ['-xzOf', tarball, `package/${peer.file}`], {
    maxBuffer: 64 * 1024 * 1024,
  });
  await rm(tarball);
  const code = peer.minify
    ? (await transform(source, { minify: true, target: 'es2020', legalComments: 'none' })).code
    : source;
  return measure(peer.name, packed.version, peer.note, code);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(2)} KB`;

const ours = await bundleSdk();
const measured: Measured[] = [measure('**waymark.js**', ours.version, 'whole snippet (IIFE)', ours.iife)];
const dir = await mkdtemp(join(tmpdir(), 'waymark-sdk-size-'));
try {
  for (const peer of PEERS) {
    try {
      measured.push(await measurePeer(peer, dir));
    } catch (error) {
      console.error(`${peer.spec}: not measured (${(error as Error).message.split('\n')[0]})`);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const base = measured[0] as Measured;
console.log(`waymark.js budget: ${SIZE_BUDGET_BYTES} B min+gzip (${kb(SIZE_BUDGET_BYTES)}).`);
console.log(
  `Measured ${new Date().toISOString().slice(0, 10)}, Node ${process.versions.node}; 1 KB = 1024 B.\n`,
);
console.log('| script | version | what | min | min+gzip | min+brotli | gzip vs waymark.js |');
console.log('| --- | --- | --- | ---: | ---: | ---: | ---: |');
for (const m of [...measured].sort((a, b) => a.gzip - b.gzip)) {
  console.log(
    `| ${m.name} | ${m.version} | ${m.note} | ${kb(m.min)} | ${kb(m.gzip)} | ${kb(m.brotli)} | ${(m.gzip / base.gzip).toFixed(2)}× |`,
  );
}
console.log(
  `\n(${[...measured].map((m) => `${m.name.replaceAll('*', '')} ${m.gzip} B`).join(', ')} min+gzip)`,
);
