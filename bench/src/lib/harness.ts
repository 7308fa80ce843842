// Shared measuring harness of the benches: argument parsing, interleaved rounds, percentiles,
// a rough allocation probe and the report (a table, then one JSON line).
import { readdirSync, readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Options every bench accepts on its command line. */
export interface BenchArgs {
  /** Sequential calls per variant per round (`--calls`). */
  calls: number;
  /** Interleaved rounds (`--rounds`). */
  rounds: number;
  /** Warm-up calls per variant before measuring (`--warmup`). */
  warmup: number;
  /** Calls per variant of the allocation probe; 0 turns it off (`--heap-calls`). */
  heapCalls: number;
}

const DEFAULTS: BenchArgs = { calls: 2_000, rounds: 10, warmup: 2_000, heapCalls: 200 };

/** Parses `--calls N --rounds N --warmup N --heap-calls N` (also `--calls=N`); anything else is an error. */
export function parseArgs(argv: readonly string[], defaults: Partial<BenchArgs> = {}): BenchArgs {
  const out: BenchArgs = { ...DEFAULTS, ...defaults };
  const keys: Record<string, keyof BenchArgs> = { calls: 'calls', rounds: 'rounds', warmup: 'warmup', 'heap-calls': 'heapCalls' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    const key = match ? keys[match[1]!] : undefined;
    if (!match || !key) throw new Error(`unknown argument "${arg}" (accepted: --calls N, --rounds N, --warmup N, --heap-calls N)`);
    const raw = match[2] ?? argv[++i];
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || (key !== 'heapCalls' && key !== 'warmup' && value === 0)) {
      throw new Error(
        `--${match[1]} needs a ${key === 'heapCalls' || key === 'warmup' ? 'non-negative' : 'positive'} integer (got "${raw}")`,
      );
    }
    out[key] = value;
  }
  return out;
}

/** One thing being measured: a name and one call (awaited sequentially). */
export interface Variant {
  name: string;
  call: () => Promise<unknown>;
  /** A process that serves this variant's calls (an upstream in a child process): its CPU time per call is reported too. */
  upstreamPid?: number;
}

/** Figures of one variant over every round. */
export interface VariantResult {
  name: string;
  calls: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  callsPerS: number;
  /** Rough bytes allocated per call (heap growth over a GC-free batch), when probed. */
  heapBytesPerCall: number | undefined;
  /**
   * This process's CPU time per call (user + system, µs) over the measured batches: with the server in
   * another process and one call at a time, what the calling side (client, bridge) costs.
   */
  cpuUsPerCall: number;
  /** CPU time per call of the variant's `upstreamPid` (µs, from /proc), when it has one and /proc is there. */
  upstreamCpuUsPerCall: number | undefined;
}

/**
 * Warms every variant up, then runs `rounds` rounds; each round runs `calls` sequential calls of
 * every variant, the order rotating per round so no variant always goes first (or after the same
 * neighbour). Each call is timed with `process.hrtime.bigint()`; a full GC runs before each batch.
 */
export async function measure(
  variants: readonly Variant[],
  args: BenchArgs,
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<VariantResult[]> {
  for (const v of variants) for (let i = 0; i < args.warmup; i++) await v.call();

  const samples = variants.map(() => new Float64Array(args.calls * args.rounds));
  const wallNs = variants.map(() => 0n);
  const cpuUs = variants.map(() => 0);
  const upstreamCpuUs: (number | undefined)[] = variants.map((v) => (v.upstreamPid === undefined ? undefined : 0));
  // A full GC before each batch, so no variant pays for the garbage of the one before it.
  const gc = getGc();
  for (let round = 0; round < args.rounds; round++) {
    for (let k = 0; k < variants.length; k++) {
      const index = (round + k) % variants.length;
      const v = variants[index]!;
      const out = samples[index]!;
      const offset = round * args.calls;
      gc?.();
      const up0 = cpuTimeUs(v.upstreamPid);
      const cpu0 = process.cpuUsage();
      const begin = process.hrtime.bigint();
      for (let i = 0; i < args.calls; i++) {
        const t0 = process.hrtime.bigint();
        await v.call();
        out[offset + i] = Number(process.hrtime.bigint() - t0);
      }
      wallNs[index]! += process.hrtime.bigint() - begin;
      const cpu = process.cpuUsage(cpu0);
      cpuUs[index]! += cpu.user + cpu.system;
      const up1 = cpuTimeUs(v.upstreamPid);
      upstreamCpuUs[index] = up0 === undefined || up1 === undefined ? undefined : upstreamCpuUs[index]! + (up1 - up0);
    }
    log(`  round ${round + 1}/${args.rounds} done`);
  }

  const heap = args.heapCalls > 0 ? await probeHeap(variants, args.heapCalls) : undefined;

  return variants.map((v, i) => {
    const sorted = samples[i]!.sort();
    const n = sorted.length;
    let sum = 0;
    for (const x of sorted) sum += x;
    return {
      name: v.name,
      calls: n,
      p50: percentile(sorted, 0.5) / 1_000,
      p90: percentile(sorted, 0.9) / 1_000,
      p99: percentile(sorted, 0.99) / 1_000,
      mean: sum / n / 1_000,
      callsPerS: n / (Number(wallNs[i]) / 1e9),
      heapBytesPerCall: heap?.[i],
      cpuUsPerCall: cpuUs[i]! / n,
      upstreamCpuUsPerCall: ((us) => (us === undefined ? undefined : us / n))(upstreamCpuUs[i]),
    };
  });
}

/** Nearest-rank percentile of sorted nanoseconds. */
function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** `global.gc` without needing `--expose-gc` on the command line. */
function getGc(): (() => void) | undefined {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (existing) return existing;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

/**
 * Rough allocation per call: after a full GC, heap growth over a batch small enough that no GC ran
 * during it (checked with a `gc` performance observer; the batch is halved until that holds).
 */
async function probeHeap(variants: readonly Variant[], calls: number): Promise<(number | undefined)[]> {
  const gc = getGc();
  if (!gc) return variants.map(() => undefined);
  let gcs = 0;
  const observer = new PerformanceObserver((list) => {
    gcs += list.getEntries().length;
  });
  observer.observe({ entryTypes: ['gc'] });
  const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 5));
  const out: (number | undefined)[] = [];
  try {
    for (const v of variants) {
      let n = calls;
      let result: number | undefined;
      while (n >= 10 && result === undefined) {
        gc();
        await settle();
        gcs = 0;
        const before = process.memoryUsage().heapUsed;
        for (let i = 0; i < n; i++) await v.call();
        const after = process.memoryUsage().heapUsed;
        await settle();
        if (gcs === 0) result = (after - before) / n;
        else n = Math.floor(n / 2);
      }
      out.push(result);
    }
  } finally {
    observer.disconnect();
  }
  return out;
}

/** Ratio of two figures, rounded to 3 decimals. */
export function ratio(a: number, b: number): number {
  return Math.round((a / b) * 1000) / 1000;
}

/** Rounds to `digits` decimals (JSON output). */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A plain-text table: first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: readonly string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** A figure for a table cell. */
export function fmt(value: number, digits = 1): string {
  return value.toFixed(digits);
}

/** One figure of every variant, by name, rounded for the JSON line (`null` where a variant has none). */
export function pick(
  results: readonly VariantResult[],
  figure: (r: VariantResult) => number | undefined,
  digits = 2,
): Record<string, number | null> {
  return Object.fromEntries(
    results.map((r) => {
      const value = figure(r);
      return [r.name, value === undefined || Number.isNaN(value) ? null : round(value, digits)];
    }),
  );
}

/** The usual table rows: p50/p90/p99/mean µs, calls/s, p50 and p99 against `base`, heap bytes per call. */
export function summaryRows(results: readonly VariantResult[], base: VariantResult): string[][] {
  return [
    ['variant', 'p50 µs', 'p90 µs', 'p99 µs', 'mean µs', 'calls/s', 'p50 ×sdk', 'p99 ×sdk', 'heap B/call'],
    ...results.map((r) => [
      r.name,
      fmt(r.p50),
      fmt(r.p90),
      fmt(r.p99),
      fmt(r.mean),
      fmt(r.callsPerS, 0),
      fmt(r.p50 / base.p50, 2),
      fmt(r.p99 / base.p99, 2),
      r.heapBytesPerCall === undefined ? '-' : fmt(r.heapBytesPerCall, 0),
    ]),
  ];
}

/**
 * The figures every bench's JSON line starts with: which bench, the Node version, how many calls
 * over how many rounds, and each variant's p50, p99, calls/s and heap bytes per call.
 */
export function baseFigures(bench: string, args: BenchArgs, results: readonly VariantResult[]): Record<string, unknown> {
  return {
    bench,
    node: process.version,
    calls: args.calls * args.rounds,
    rounds: args.rounds,
    p50_us: pick(results, (r) => r.p50),
    p99_us: pick(results, (r) => r.p99),
    calls_per_s: pick(results, (r) => r.callsPerS, 0),
    heap_bytes_per_call: pick(results, (r) => r.heapBytesPerCall, 0),
  };
}

/** The table every per-call bench prints: latency percentiles, throughput, p50 against `baseline` (the bare SDK), heap per call. */
export function variantTable(results: readonly VariantResult[], baseline: VariantResult): string {
  return table([
    ['variant', 'p50 µs', 'p90 µs', 'p99 µs', 'mean µs', 'calls/s', 'p50 ×sdk', 'heap B/call'],
    ...results.map((r) => [
      r.name,
      fmt(r.p50),
      fmt(r.p90),
      fmt(r.p99),
      fmt(r.mean),
      fmt(r.callsPerS, 0),
      fmt(r.p50 / baseline.p50, 2),
      r.heapBytesPerCall === undefined ? '-' : fmt(r.heapBytesPerCall, 0),
    ]),
  ]);
}

/** A process's user + system CPU time in µs, from /proc (Linux); `undefined` elsewhere. */
export function cpuTimeUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces, so split after its closing paren): utime is the 14th field, stime the 15th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1e6) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
/** USER_HZ: 100 on every Linux Node runs on. */
const CLOCK_TICKS = 100;

/** The median of `values` (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The ids of a process's child processes, from /proc (Linux); empty elsewhere. */
export function childPids(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter((s) => s.trim() !== '')
        .map(Number),
    );
  } catch {
    return [];
  }
}
