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

/**
 * The internal queue and storage methods, renamed to one letter in the bundle: ≈ 40 B of the budget.
 * Their names are distinctive so that no DOM property the snippet touches is renamed with them.
 */
export const MANGLED_PROPERTIES =
  /^(pending|persist|append|discard|reclaim|abandon|reopen|purge|read|write|erase|list)$/;

const common: BuildOptions = {
  bundle: true,
  minify: true,
  mangleProps: MANGLED_PROPERTIES,
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
  const text = (result: { outputFiles?: Array<{ text: string }> }) => result.outputFiles?.[0]?.text ?? '';
  return { iife: text(iife), esm: text(esm), version };
}

/** Bytes after gzip at level 9, the way CDNs serve static scripts (and how peers publish their sizes). */
export const gzipSize = (code: string | Uint8Array): number => gzipSync(code, { level: 9 }).length;
