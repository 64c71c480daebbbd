import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const PAGE = readFileSync(new URL('../site/page.html', import.meta.url), 'utf8');
const DOCS = readFileSync(new URL('../../../docs/sdk.md', import.meta.url), 'utf8');
const DOCS_HOST = 'https://collect.example.com';

/**
 * The async loader exactly as docs/sdk.md shows it, so the documented snippet is the one under test. It is
 * the ```html block that creates the script element.
 */
export function documentedLoader(): string {
  const blocks = [...DOCS.matchAll(/```html\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
  const loader = blocks.find((b) => b.includes("createElement('script')"));
  if (!loader) throw new Error('docs/sdk.md has no async loader snippet');
  return loader;
}

export interface Embedding {
  writeKey?: string;
  /** The collector the page sends to (what `host` / `data-host` says). */
  host?: string;
  /** Where the script itself is loaded from. */
  sdkUrl?: string;
  /** `tag`: `<script src data-write-key>`; `loader`: the documented async loader. */
  style?: 'tag' | 'loader';
  /** More `data-*` options for the tag (or init options for the loader). */
  options?: Record<string, string | number | boolean>;
  /** Inline script run before the tracker is embedded. */
  before?: string;
  /** Raw HTML instead of waymark.js (another library under test). */
  html?: string;
}

export interface Site {
  origin: string;
  url(path: string): string;
  /** What the pages served from now on embed. */
  embed(embedding: Embedding): void;
  /** Serves `body` as JavaScript at `path`. */
  script(path: string, body: string): void;
  close(): Promise<void>;
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const attribute = (value: string) => value.replaceAll('&', '&amp;').replaceAll('"', '&quot;');

function embedHtml(e: Embedding): string {
  if (e.html !== undefined) return e.html;
  const before = e.before ? `<script>${e.before}</script>\n` : '';
  if (e.style === 'loader') {
    const options = { writeKey: e.writeKey, host: e.host, ...e.options };
    return (
      before +
      documentedLoader()
        .replace(`${DOCS_HOST}/sdk/waymark.js`, e.sdkUrl ?? '')
        .replace(/waymark\.init\(\{[^}]*\}\);/, `waymark.init(${JSON.stringify(options)});`)
    );
  }
  const data = Object.entries({ writeKey: e.writeKey, host: e.host, ...e.options })
    .map(([name, value]) => `data-${kebab(name)}="${attribute(String(value))}"`)
    .join(' ');
  return `${before}<script async src="${attribute(e.sdkUrl ?? '')}" ${data}></script>`;
}

/**
 * A tiny static shop: every path is a page (titled after its path) embedding waymark.js as configured by
 * the test, served from 127.0.0.1. Its "Leave the shop" link goes to the same server as `localhost`: another
 * origin, with no tracker and other storage.
 */
export async function startSite(): Promise<Site> {
  let embedding: Embedding | undefined;
  let port = 0;
  const scripts = new Map<string, string>();
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://site').pathname;
    // The same server under another name is another origin: a site the visitor leaves for, without Waymark.
    const elsewhere = request.headers.host?.startsWith('localhost');
    if (path === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    const script = scripts.get(path);
    if (script !== undefined) {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(script);
      return;
    }
    const html = PAGE.replaceAll('{{TITLE}}', path === '/' ? 'Home' : path)
      .replace('{{EMBED}}', embedding && !elsewhere ? embedHtml(embedding) : '')
      .replace('{{AWAY}}', `http://localhost:${port}/elsewhere`);
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (path) => new URL(path, origin).toString(),
    embed(next) {
      embedding = next;
    },
    script(path, body) {
      scripts.set(path, body);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
