import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { collectorProblem } from './problems.ts';

/** Where `pnpm --filter @waymark/sdk build` writes the snippet, in this repository's layout. */
export const DEFAULT_SDK_FILE = fileURLToPath(
  new URL('../../../packages/sdk/dist/waymark.js', import.meta.url),
);
export const SDK_PATH = '/sdk/waymark.js';

/** The built snippet, read once at startup and served from memory. */
export interface SdkBundle {
  readonly code: Buffer;
  readonly gzip: Buffer;
  readonly brotli: Buffer;
  /** Strong validator: the content hash, so a cached copy revalidates with a 304 until the script changes. */
  readonly etag: string;
}

export function sdkBundle(code: Buffer): SdkBundle {
  return {
    code,
    gzip: gzipSync(code, { level: 9 }),
    brotli: brotliCompressSync(code),
    etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 22)}"`,
  };
}

/** The built snippet, or undefined when it was not built (the route then answers `SDK_NOT_BUILT`). */
export async function loadSdkBundle(file: string = DEFAULT_SDK_FILE): Promise<SdkBundle | undefined> {
  try {
    return sdkBundle(await readFile(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export interface SdkRouteOptions {
  bundle?: SdkBundle | undefined;
  /**
   * Further paths serving the same script. Blockers match URLs containing words such as "track",
   * "analytics" or "beacon"; a neutral path (`/assets/wm.js`) behind the site's own domain gets through.
   */
  extraPaths?: readonly string[];
  /** `Cache-Control: max-age`; the URL does not change between versions, so this bounds how stale a copy gets. */
  maxAgeSeconds?: number;
}

/**
 * `GET /sdk/waymark.js`: the snippet, precompressed, with a content-hash ETag (If-None-Match → 304) and
 * a public cache lifetime. `Cross-Origin-Resource-Policy: cross-origin` keeps it loadable from pages that
 * isolate themselves (COEP); CORS headers come from `registerCors`, for `<script crossorigin>` and SRI.
 */
export function registerSdkRoute(app: FastifyInstance, options: SdkRouteOptions): void {
  const { bundle, maxAgeSeconds = 86_400 } = options;
  for (const path of new Set([SDK_PATH, ...(options.extraPaths ?? [])])) {
    app.get(path, async (request, reply) => {
      if (!bundle) {
        throw collectorProblem('SDK_NOT_BUILT', 'run `pnpm --filter @waymark/sdk build` and restart');
      }
      void reply
        .header('content-type', 'text/javascript; charset=utf-8')
        .header(
          'cache-control',
          `public, max-age=${maxAgeSeconds}, stale-while-revalidate=${maxAgeSeconds * 7}`,
        )
        .header('etag', bundle.etag)
        .header('vary', 'Accept-Encoding')
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('x-content-type-options', 'nosniff');
      const ifNoneMatch = request.headers['if-none-match'];
      if (ifNoneMatch?.split(/\s*,\s*/).some((tag) => tag === bundle.etag || tag === `W/${bundle.etag}`)) {
        return reply.status(304).send();
      }
      const accepted = String(request.headers['accept-encoding'] ?? '');
      if (/\bbr\b/.test(accepted)) return reply.header('content-encoding', 'br').send(bundle.brotli);
      if (/\bgzip\b/.test(accepted)) return reply.header('content-encoding', 'gzip').send(bundle.gzip);
      return reply.send(bundle.code);
    });
  }
}
