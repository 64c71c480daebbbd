import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build } from 'esbuild';

/** The budget of the whole snippet, min+gzip (issue #3): a test and the build fail above it. */
export const SIZE_BUDGET_BYTES = 3 * 1024;

const root = new URL('..', import.meta.url);
const version = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string })
  .version;

/** Browsers from mid-2021 on (Chrome/Edge 91, Firefox 90, Safari 15): no polyfills, no down-levelling. */
export const BROWSER_TARGET = ['es2021', 'chrome91', 'edge91', 'firefox90', 'safari15'];

const common: BuildOptions = {
  bundle: true,
  minify: true,
  target: BROWSER_TARGET,
  platform: 'browser',
  legalComments: 'none',
  write: false,
  absWorkingDir: new URL('.', root).pathname,
};

export interface SdkBundle {
  /** The IIFE for `<script src>`; sets `window.waymark`. */
  iife: string;
  /** The ES module for bundlers. */
  esm: string;
  version: string;
}

export async function bundleSdk(): Promise<SdkBundle> {
  const [iife, esm] = await Promise.all([
    build({ ...common, entryPoints: ['src/snippet.ts'], format: 'iife' }),
    build({ ...common, entryPoints: ['src/index.ts'], format: 'esm' }),
  ]);
  const text = (result: typeof iife) => result.outputFiles?.[0]?.text ?? '';
  return { iife: `/*! waymark.js ${version} */\n${text(iife)}`, esm: text(esm), version };
}

/** Bytes after gzip at level 9, the way CDNs serve static scripts (and how peers publish their sizes). */
export const gzipSize = (code: string | Uint8Array): number => gzipSync(code, { level: 9 }).length;
