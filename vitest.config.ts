import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Workspace packages export their TypeScript under the `@waymark/source` condition and compiled JavaScript
  // by default (docs/decisions/0022-compiled-production.md): tests run the sources, never a stale dist/. Vite
  // adds the condition to its defaults in each environment that loads our code: `ssr` runs the test files
  // (vitest also passes it to its workers as `--conditions`), vitest's own `__vitest__` loads the global
  // setup and takes no condition from `ssr` or the top level (vitest-dev/vitest#7588).
  ssr: { resolve: { conditions: ['@waymark/source'] } },
  environments: { __vitest__: { resolve: { conditions: ['@waymark/source'] } } },
  test: {
    // Two projects: `unit` runs pure tests in parallel; `integration` shares one real Kafka broker and one
    // ClickHouse engine (started once in globalSetup) and runs files one after another because they share it.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['{packages,services}/*/src/**/*.test.ts'],
          exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['{packages,services}/*/src/**/*.integration.test.ts', 'test/**/*.integration.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['packages/testing/src/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
