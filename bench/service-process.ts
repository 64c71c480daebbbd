import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HOST_CONFIG_VARIABLE, type HostConfig, type HostMessage } from './service-protocol.ts';
import type { Teardown } from './teardown.ts';

const HOST_SCRIPT = fileURLToPath(new URL('./service-host.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ServiceProcess {
  label: string;
  pid: number;
  url: string;
  /** Every message after `ready`, as it arrives. */
  onMessage(listener: (message: HostMessage) => void): void;
  /** Closes its stdin (a clean shutdown), SIGKILL after `graceMs`; resolves once it exited. Idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `service-host.ts` as `node --import tsx` (not the tsx CLI, which would add a wrapper process
 * and hide the service's pid), with its own embedded ClickHouse directory when the role needs one.
 */
export async function startServiceProcess(
  teardown: Teardown,
  label: string,
  config: Omit<HostConfig, 'dataDir'>,
  options: { nodeArgs?: string[]; startTimeoutMs?: number } = {},
): Promise<ServiceProcess> {
  let dataDir: string | undefined;
  if (config.role !== 'bare') {
    dataDir = await mkdtemp(join(tmpdir(), `waymark-bench-${config.role}-`));
    teardown.deleteLater(dataDir);
  }
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--conditions=@waymark/source', '--import', 'tsx', HOST_SCRIPT],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, [HOST_CONFIG_VARIABLE]: JSON.stringify({ ...config, dataDir }) },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  if (child.pid !== undefined) teardown.guardProcess(child.pid, 'service-host');
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // A child must not outlive the benchmark, whatever way the benchmark ends.
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);

  let stopping: Promise<void> | undefined;
  const stop = (graceMs = 20_000) => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.stdin?.end();
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      process.removeListener('exit', kill);
    })();
    return stopping;
  };
  teardown.defer(label, () => stop());

  prefixLines(child, label);
  const listeners: Array<(message: HostMessage) => void> = [];
  const received: HostMessage[] = [];
  const ready = new Promise<Extract<HostMessage, { type: 'ready' }>>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${label} did not start within ${options.startTimeoutMs ?? 120_000} ms`)),
      options.startTimeoutMs ?? 120_000,
    );
    void exited.then(() => reject(new Error(`${label} exited during startup (code ${child.exitCode})`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let message: HostMessage;
      try {
        message = JSON.parse(line) as HostMessage;
      } catch {
        process.stderr.write(`[${label}] ${line}\n`);
        return;
      }
      if (message.type === 'ready') {
        clearTimeout(timer);
        resolve(message);
      } else if (message.type === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${label} failed: ${message.message}`));
      }
      received.push(message);
      for (const listener of listeners) listener(message);
    });
  });
  const { url } = await ready;
  return {
    label,
    pid: child.pid ?? -1,
    url,
    onMessage(listener) {
      // Messages that arrived before anyone listened are replayed, so none is missed.
      for (const message of received) listener(message);
      listeners.push(listener);
    },
    stop,
  };
}

function prefixLines(child: ChildProcess, label: string) {
  if (!child.stderr) return;
  createInterface({ input: child.stderr }).on('line', (line) => process.stderr.write(`[${label}] ${line}\n`));
}
