import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

/*
 * The interactive API reference at /docs: Swagger UI (npm swagger-ui-dist, served from this process so it
 * works without internet access) over /openapi.json. No inline script, so a strict CSP can serve it.
 */
const assetsDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Waymark query API</title>
  <link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/swagger-ui-bundle.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', persistAuthorization: true });\n`;

const ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
} as const;

export function registerApiDocs(app: FastifyInstance): void {
  const files = Object.fromEntries(
    Object.keys(ASSETS).map((name) => [name, readFileSync(join(assetsDir, name))]),
  ) as Record<keyof typeof ASSETS, Buffer>;
  app.get('/docs', async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  app.get('/docs/init.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').send(INIT),
  );
  for (const [name, type] of Object.entries(ASSETS) as Array<[keyof typeof ASSETS, string]>) {
    app.get(`/docs/${name}`, async (_request, reply) =>
      reply.type(type).header('cache-control', 'public, max-age=86400').send(files[name]),
    );
  }
}
