import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { bundleSdk, gzipSize, SIZE_BUDGET_BYTES } from './bundle.ts';

// `pnpm --filter @waymark/sdk build`: dist/waymark.js (IIFE), dist/waymark.mjs (ESM), dist/*.d.ts.
const dist = new URL('../dist/', import.meta.url);
const bundle = await bundleSdk();
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await writeFile(new URL('waymark.js', dist), bundle.iife);
await writeFile(new URL('waymark.mjs', dist), bundle.esm);

execFileSync('tsc', ['-p', new URL('../tsconfig.build.json', import.meta.url).pathname], {
  stdio: 'inherit',
});
// The sources import with `.ts` (CONTRIBUTING.md); declarations must point at what a consumer resolves.
for (const file of await readdir(dist)) {
  if (!file.endsWith('.d.ts')) continue;
  const text = await readFile(new URL(file, dist), 'utf8');
  await writeFile(new URL(file, dist), text.replace(/(['"]\.\.?\/[^'"]+)\.ts(['"])/g, '$1.js$2'));
}

const size = gzipSize(bundle.iife);
console.log(
  `waymark.js ${bundle.version}: ${bundle.iife.length} B min, ${size} B min+gzip (budget ${SIZE_BUDGET_BYTES} B)`,
);
if (size > SIZE_BUDGET_BYTES) {
  console.error(`waymark.js is over its size budget by ${size - SIZE_BUDGET_BYTES} B`);
  process.exit(1);
}
