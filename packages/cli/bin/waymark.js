#!/usr/bin/env node
// The packaged `waymark` runs the compiled CLI (`pnpm turbo run build`; docs/decisions/0022-compiled-production.md).
// `pnpm waymark` runs the TypeScript sources under tsx instead.
await import('../dist/main.js');
