import { readdirSync, readFileSync } from 'node:fs';

/**
 * RSS and CPU of processes, read from /proc (Linux): peak VmRSS sampled during a measured phase, and CPU
 * seconds (user + system, all threads) over it, per process and per thread name. CPU per thread name is
 * what tells, for a process that embeds ClickHouse, how much went to the engine's own threads and how
 * much to the Node main thread.
 */
const CLOCK_TICKS = 100; // USER_HZ; 100 on every Linux this runs on.

export interface ProcessUsage {
  label: string;
  pid: number;
  /** Highest VmRSS seen while sampling, bytes. */
  peakRssBytes: number;
  /**
   * Median VmRSS over the second half of the samples, bytes: the level a sustained load settles at, where
   * the peak also holds start-up and one-off spikes (a merge, a large batch).
   */
  steadyRssBytes: number;
  /**
   * Highest RssAnon (heaps, buffers) seen while sampling, bytes. The rest of RSS is file pages, mostly
   * shared libraries: chDB's alone maps a few hundred MB into any process that loads it.
   */
  peakAnonBytes: number;
  /** VmHWM at the end: the process's lifetime peak RSS, bytes. */
  lifetimePeakRssBytes: number;
  cpuSeconds: number;
  /** CPU seconds by thread name (`comm`), largest first. */
  threads: Array<{ name: string; count: number; cpuSeconds: number }>;
}

function statusField(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** utime + stime in ticks of one /proc stat file, and the thread's name. */
function readStat(path: string): { name: string; ticks: number } | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // Fields after "(comm)": state is [0], utime is [11], stime is [12].
    return { name, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

function threadTicks(pid: number): Map<string, number> {
  const ticks = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return ticks;
  }
  for (const tid of tids) {
    const stat = readStat(`/proc/${pid}/task/${tid}/stat`);
    // Node names its main thread and its libuv/V8 helpers alike ("node"); the main thread runs the JS.
    const name = tid === String(pid) ? 'main thread' : stat?.name;
    if (stat) ticks.set(`${tid}\u0000${name}`, stat.ticks);
  }
  return ticks;
}

export interface UsageSampler {
  /** Stops sampling and returns the usage of each process over the phase. */
  stop(): ProcessUsage[];
}

/** Samples the processes every `intervalMs` until `stop()`. */
export function sampleUsage(
  processes: Array<{ label: string; pid: number }>,
  intervalMs = 200,
): UsageSampler {
  const start = processes.map((p) => threadTicks(p.pid));
  const peaks = processes.map((p) => statusField(p.pid, 'VmRSS'));
  const anonPeaks = processes.map((p) => statusField(p.pid, 'RssAnon'));
  const rssSamples = processes.map((): number[] => []);
  const sample = () =>
    processes.forEach((p, i) => {
      const rss = statusField(p.pid, 'VmRSS');
      rssSamples[i]?.push(rss);
      peaks[i] = Math.max(peaks[i] ?? 0, rss);
      anonPeaks[i] = Math.max(anonPeaks[i] ?? 0, statusField(p.pid, 'RssAnon'));
    });
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return processes.map((p, i) => {
        const before = start[i] ?? new Map<string, number>();
        const byName = new Map<string, { count: number; ticks: number }>();
        for (const [key, ticks] of threadTicks(p.pid)) {
          const name = key.split('\u0000')[1] ?? '?';
          const delta = ticks - (before.get(key) ?? 0);
          const entry = byName.get(name) ?? { count: 0, ticks: 0 };
          entry.count++;
          entry.ticks += delta;
          byName.set(name, entry);
        }
        const threads = [...byName]
          .map(([name, { count, ticks }]) => ({ name, count, cpuSeconds: ticks / CLOCK_TICKS }))
          .sort((a, b) => b.cpuSeconds - a.cpuSeconds);
        return {
          label: p.label,
          pid: p.pid,
          peakRssBytes: peaks[i] ?? 0,
          steadyRssBytes: secondHalfMedian(rssSamples[i] ?? []),
          peakAnonBytes: anonPeaks[i] ?? 0,
          lifetimePeakRssBytes: statusField(p.pid, 'VmHWM'),
          cpuSeconds: threads.reduce((sum, t) => sum + t.cpuSeconds, 0),
          threads,
        };
      });
    },
  };
}

function secondHalfMedian(samples: readonly number[]): number {
  const late = samples.slice(Math.floor(samples.length / 2)).sort((a, b) => a - b);
  return late[Math.floor(late.length / 2)] ?? 0;
}

/** Short "main 0.9, QueryPipelineEx 0.4" style summary of where a process's CPU went. */
export function threadSummary(usage: ProcessUsage, wallSeconds: number, top = 4): string {
  return usage.threads
    .filter((t) => t.cpuSeconds > 0)
    .slice(0, top)
    .map((t) => `${t.name}${t.count > 1 ? ` ×${t.count}` : ''} ${(t.cpuSeconds / wallSeconds).toFixed(2)}`)
    .join(', ');
}

/** glibc's heap for threads other than the main one: mappings of at most 64 MiB, aligned to 64 MiB. */
const ARENA_BYTES = 64 * 1024 * 1024;

/**
 * A process's anonymous memory by who holds it, from /proc/PID/smaps: glibc's main heap (`[heap]`, what the
 * main thread mallocs), glibc's per-thread arenas (told apart by their 64 MiB alignment), and the rest
 * (V8's heap and every larger allocation, which glibc and chDB map one by one). chDB allocates with glibc's
 * malloc (its jemalloc hooks are left unresolved), so memory it freed but glibc kept shows up here and not in
 * chDB's own tracker.
 */
export function anonymousMemory(pid: number): { mainHeap: number; threadArenas: number; other: number } {
  const sums = { mainHeap: 0, threadArenas: 0, other: 0 };
  let kind: keyof typeof sums | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (mapping) {
      const [start, end] = [BigInt(`0x${mapping[1]}`), BigInt(`0x${mapping[2]}`)];
      const name = (mapping[3] ?? '').trim();
      kind =
        name === '[heap]'
          ? 'mainHeap'
          : name !== '' && !name.startsWith('[anon')
            ? undefined
            : start % BigInt(ARENA_BYTES) === 0n && end - start <= BigInt(ARENA_BYTES)
              ? 'threadArenas'
              : 'other';
      continue;
    }
    const anonymous = /^Anonymous:\s+(\d+) kB/.exec(line);
    if (anonymous && kind) sums[kind] += Number(anonymous[1]) * 1024;
  }
  return sums;
}
