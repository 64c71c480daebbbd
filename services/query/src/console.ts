import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Where `pnpm --filter @waymark/console build` writes the console, in this repository's layout. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../../packages/console/dist', import.meta.url));

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Nothing but this origin's own files: no inline script or style, no CDN, no outside fonts or API. */
const CSP =
  "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'";

export const CONSOLE_NOT_BUILT =
  'The Waymark console is not built on this query service.\n' +
  'Run `pnpm --filter @waymark/console build` (or `pnpm build`, or `make start`) and restart the query service.\n' +
  'The API itself is served as usual: /v1, /openapi.json, /docs.\n';

/** The console's answer for a path no route has, or undefined when it is not a console page. */
export type ConsolePages = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined;

interface ConsoleFiles {
  readonly index: Buffer;
  /** Content-hashed file names under /assets, read once at startup. */
  readonly assets: ReadonlyMap<string, { body: Buffer; type: string }>;
}

function readConsole(dir: string): ConsoleFiles | undefined {
  let index: Buffer;
  try {
    index = readFileSync(join(dir, 'index.html'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const assets = new Map<string, { body: Buffer; type: string }>();
  const assetsDir = join(dir, 'assets');
  for (const name of readdirSync(assetsDir)) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { body: readFileSync(join(assetsDir, name)), type });
  }
  return { index, assets };
}

/**
 * The console (packages/console) at `/`, from the same origin as the API so it needs no CORS. index.html
 * is revalidated on every load, so a new build is picked up at once; the assets' names change with their
 * content, so they are cached for a year. Unbuilt, `/` says how to build it (503, plain text).
 */
export function registerConsole(app: FastifyInstance, dir: string = DEFAULT_CONSOLE_DIR): ConsolePages {
  const files = readConsole(dir);
  const page = (reply: FastifyReply): FastifyReply => {
    if (!files) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(CONSOLE_NOT_BUILT);
    }
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(files.index);
  };
  app.get('/', async (_request, reply) => page(reply));
  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const asset = files?.assets.get(request.params.name);
    if (!asset) return reply.callNotFound();
    return reply
      .type(asset.type)
      .header('cache-control', 'public, max-age=31536000, immutable')
      .header('x-content-type-options', 'nosniff')
      .send(asset.body);
  });
  // The console's other screens are paths of its own (/flow, /customers/u:42 …): a browser opening one
  // gets the console, which decides what the path shows. The API's paths and anything but a page request
  // keep their 404. The app's not-found handler asks this (see ServiceAppOptions.notFound).
  return (request, reply) => {
    if (request.method !== 'GET' || !(request.headers.accept?.includes('text/html') ?? false))
      return undefined;
    if (request.url.startsWith('/v1/') || request.url.startsWith('/assets/')) return undefined;
    return page(reply);
  };
}
