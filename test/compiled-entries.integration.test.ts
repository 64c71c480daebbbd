import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createStackHome, type StackHome } from './faults/support/stack-process.ts';

// Production runs the tsc output with plain `node` (docs/decisions/0022-compiled-production.md): no tsx, no
// `--conditions`, nothing inherited from this runner (vitest passes `@waymark/source` to its own workers).
const root = fileURLToPath(new URL('..', import.meta.url));

function plainNode(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, args, {
    cwd: options.cwd ?? root,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface WorkspacePackage {
  dir: string;
  name: string;
  exports: unknown;
}

/**
 * Every package and service but the two browser bundles: the SDK (esbuild, packages/sdk/scripts/build.ts)
 * and the console (Vite, packages/console/vite.config.ts).
 */
const compiledPackages: WorkspacePackage[] = ['packages', 'services']
  .flatMap((group) => readdirSync(join(root, group)).map((dir) => `${group}/${dir}`))
  .filter((dir) => dir !== 'packages/sdk' && dir !== 'packages/console')
  .map((dir) => {
    const manifest = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as WorkspacePackage;
    return { dir, name: manifest.name, exports: manifest.exports };
  });

const SERVICES = ['collector', 'processor', 'query', 'alerter'] as const;

describe('compiled packages', () => {
  it('export their sources under @waymark/source and their build to everything else', () => {
    expect(compiledPackages.map(({ dir }) => dir)).toEqual(
      expect.arrayContaining([
        'packages/cli',
        'packages/clickhouse',
        ...SERVICES.map((s) => `services/${s}`),
      ]),
    );
    for (const { dir, exports } of compiledPackages) {
      expect({ dir, exports }).toEqual({
        dir,
        exports: { '.': { '@waymark/source': './src/index.ts', default: './dist/index.js' } },
      });
    }
  });

  it('load in plain node from dist/ with the exports of their sources', async () => {
    for (const { dir, name } of compiledPackages) {
      // The package imports itself by name, so node resolves it through its `exports` as a dependent would.
      const probe = `const m = await import('${name}');
console.log(JSON.stringify({ file: import.meta.resolve('${name}'), names: Object.keys(m).sort() }));`;
      const { status, stdout, stderr } = plainNode(['--input-type=module', '-e', probe], {
        cwd: join(root, dir),
      });
      expect({ dir, status, stderr }).toEqual({ dir, status: 0, stderr: '' });
      const compiled = JSON.parse(stdout) as { file: string; names: string[] };
      expect(compiled.file).toBe(`file://${join(root, dir, 'dist/index.js')}`);
      const source = (await import(join(root, dir, 'src/index.ts'))) as Record<string, unknown>;
      expect({ dir, names: compiled.names }).toEqual({ dir, names: Object.keys(source).sort() });
    }
  });
});

describe('compiled entries under plain node', () => {
  it('each service starts and stops at its missing configuration, not at a module it cannot load', () => {
    for (const service of SERVICES) {
      const { status, stderr } = plainNode([`services/${service}/dist/main.js`]);
      expect({ service, status }).toEqual({ service, status: 1 });
      // The services that keep webhook secrets need their key first (docs/operations.md).
      expect(stderr).toMatch(
        service === 'query' || service === 'alerter'
          ? /WAYMARK_SECRETS_KEY: required/
          : /KAFKA_BROKERS and CLICKHOUSE_URL are required/,
      );
    }
  });

  it('the waymark bin prints its usage', () => {
    const { status, stdout } = plainNode(['packages/cli/bin/waymark.js', 'help']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Usage: waymark <command>/);
  });

  let home: StackHome | undefined;
  afterAll(async () => {
    await home?.remove();
  });

  it('`waymark start` serves every service’s liveness endpoint', async () => {
    home = await createStackHome();
    const stack = await home.start();
    const { ports } = home;
    for (const port of [ports.collector, ports.processor, ports.query, ports.alerter]) {
      const response = await fetch(`http://127.0.0.1:${port}/health/live`);
      expect({ port, status: response.status }).toEqual({ port, status: 200 });
    }
    await stack.stop();
    expect(await stack.exited).toEqual({ code: 0, signal: null });
  });
});
