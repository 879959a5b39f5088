import { performance } from 'node:perf_hooks';

/** Milliseconds on a monotonic clock shared by every timer in the process. */
export const now = (): number => performance.now();

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export interface Percentiles {
  count: number;
  min: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of a sample (all NaN when it is empty). */
export function percentiles(sample: readonly number[]): Percentiles {
  const sorted = Float64Array.from(sample).sort();
  const rank = (p: number): number =>
    sorted.length === 0 ? Number.NaN : sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
  return {
    count: sorted.length,
    min: rank(0),
    p50: rank(0.5),
    p99: rank(0.99),
    max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  };
}

/** A phase's warm-up, then its measured window. */
export interface PhaseTiming {
  warmupMs: number;
  durationMs: number;
}

/** What one measured window saw; windows of one phase add up (see `interleave`). */
export interface Window {
  ops: number;
  units: number;
  seconds: number;
  /** Latency of each operation completed in the window, in ms. */
  latencies: number[];
}

export interface ClosedLoopResult {
  ops: number;
  units: number;
  seconds: number;
  opsPerSec: number;
  unitsPerSec: number;
  latency: Percentiles;
}

/** A phase that can be run for a window, again and again, keeping its workers' state. */
export type Phase = (timing: PhaseTiming) => Promise<Window>;

/**
 * A phase of closed loops: every worker runs back-to-back operations (`op` resolves with
 * how many units, rows or events, it completed) through a warm-up, then a measured window.
 * Operations count by when they complete, which gives an unbiased rate however long one
 * takes; the loops stop at the window's end and the run resolves when every worker's last
 * operation has settled. An operation that throws rejects the run.
 */
export function closedLoop<W>(workers: readonly W[], op: (worker: W) => Promise<number>): Phase {
  return async ({ warmupMs, durationMs }) => {
    const measureFrom = now() + warmupMs;
    const measureTo = measureFrom + durationMs;
    const window: Window = { ops: 0, units: 0, seconds: durationMs / 1000, latencies: [] };
    const loop = async (worker: W): Promise<void> => {
      while (now() < measureTo) {
        const began = now();
        const done = await op(worker);
        const ended = now();
        if (ended >= measureFrom && ended <= measureTo) {
          window.ops += 1;
          window.units += done;
          window.latencies.push(ended - began);
        }
      }
    };
    await Promise.all(workers.map(loop));
    return window;
  };
}

/**
 * Runs phases that are compared with each other in alternating slices (A B A B ...), each
 * warmed up once, until each has been measured for `durationMs`. Load from elsewhere on the
 * machine, checkpoints and autovacuum then fall on all of them alike, not on whichever
 * happened to run at the time.
 */
export async function interleave<K extends string>(
  phases: Record<K, Phase>,
  timing: PhaseTiming & { sliceMs: number },
): Promise<Record<K, ClosedLoopResult>> {
  const names = Object.keys(phases) as K[];
  const slices = Math.max(1, Math.round(timing.durationMs / timing.sliceMs));
  const totals = new Map<K, Window>(
    names.map((n) => [n, { ops: 0, units: 0, seconds: 0, latencies: [] }]),
  );
  for (let slice = 0; slice < slices; slice += 1) {
    for (const name of names) {
      const w = await phases[name]({
        warmupMs: slice === 0 ? timing.warmupMs : 0,
        durationMs: timing.durationMs / slices,
      });
      const total = totals.get(name)!;
      total.ops += w.ops;
      total.units += w.units;
      total.seconds += w.seconds;
      for (const latency of w.latencies) total.latencies.push(latency);
    }
  }
  return Object.fromEntries(names.map((n) => [n, summarize(totals.get(n)!)])) as Record<
    K,
    ClosedLoopResult
  >;
}

/** A phase's counts and latencies as rates and percentiles. */
export function summarize(w: Window): ClosedLoopResult {
  return {
    ops: w.ops,
    units: w.units,
    seconds: w.seconds,
    opsPerSec: w.ops / w.seconds,
    unitsPerSec: w.units / w.seconds,
    latency: percentiles(w.latencies),
  };
}
