import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time spent, in ms (user + system), read from /proc: by the service's processes, by
 * PostgreSQL (every process named `postgres` on the machine: the server, its backends and
 * background workers), by this process (the load client), and the machine as a whole.
 * Linux only; every figure is NaN where /proc cannot be read.
 */
export interface CpuSnapshot {
  serviceMs: number;
  postgresMs: number;
  benchMs: number;
  machineBusyMs: number;
  machineTotalMs: number;
  /** Each service process's main thread (its event loop), in the order of the pids given. */
  mainThreads: MainThreadTimes[];
  /** When the snapshot was taken (performance.now()), ms. */
  atMs: number;
}

/** What the kernel's scheduler says of one thread, cumulative, ms (/proc/<pid>/schedstat). */
export interface MainThreadTimes {
  /** Time running on a CPU. */
  runMs: number;
  /** Time runnable but waiting for a CPU (in a run queue). */
  waitMs: number;
}

/**
 * Where the busiest service process's event loop spent a phase: on a CPU, or ready to run
 * but waiting for one (another thread or process had it). When the two add up to nearly
 * 100 %, the event loop never waited for work: it is the bottleneck, and the waiting share
 * is what the machine's other work (PostgreSQL, GC threads, the load client) took from it.
 */
export interface MainThreadShare {
  onCpuPct: number;
  waitingPct: number;
}

/** What a phase cost per order, from two snapshots around it. */
export interface CpuPerOrder {
  serviceMs: number;
  postgresMs: number;
  benchMs: number;
  /** Busy share of the machine's CPU time over the phase, 0..100. */
  machineBusyPct: number;
  mainThread: MainThreadShare;
}

// /proc reports times in USER_HZ ticks, which Linux fixes at 100 per second for userspace.
const MS_PER_TICK = 10;

/**
 * utime + stime of one process, ms, and cutime + cstime: the time of its children that
 * exited and were waited for (NaN once the process is gone).
 */
function processMs(pid: number): { name: string; ms: number; childrenMs: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The name is in parentheses and may hold spaces: the fields start after the last ')'.
    const close = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    // Fields 14 and 15 of the man page (utime, stime) are at 11 and 12 after the name.
    return {
      name,
      ms: (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK,
      childrenMs: (Number(fields[13]) + Number(fields[14])) * MS_PER_TICK,
    };
  } catch {
    return { name: '', ms: NaN, childrenMs: NaN };
  }
}

/**
 * Every postgres process's own time plus its reaped children's: a backend that exits (a
 * pool closing a connection) moves its time into the postmaster's cutime/cstime, so the
 * sum never goes backwards when backends come and go.
 */
function postgresMs(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const { name, ms, childrenMs } = processMs(Number(entry));
    if (name === 'postgres' && Number.isFinite(ms)) total += ms + childrenMs;
  }
  return total;
}

/**
 * The first two fields of a schedstat line: nanoseconds on a CPU and waiting in a run queue.
 * NaN for a line that is not one (a kernel without schedstats).
 */
export function parseSchedstat(line: string): MainThreadTimes {
  const [run, wait] = line.trim().split(/\s+/).map(Number);
  const ok = Number.isFinite(run) && Number.isFinite(wait);
  return ok ? { runMs: run! / 1e6, waitMs: wait! / 1e6 } : { runMs: NaN, waitMs: NaN };
}

function mainThreadTimes(pid: number): MainThreadTimes {
  try {
    // The process's own schedstat is its main thread's (the thread whose id is the pid).
    return parseSchedstat(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8'));
  } catch {
    return { runMs: NaN, waitMs: NaN };
  }
}

/** The main thread that ran most between the snapshots, as shares of the time between them. */
export function mainThreadShare(before: CpuSnapshot, after: CpuSnapshot): MainThreadShare {
  const wallMs = after.atMs - before.atMs;
  let busiest: MainThreadShare = { onCpuPct: NaN, waitingPct: NaN };
  let most = -Infinity;
  after.mainThreads.forEach((end, i) => {
    const start = before.mainThreads[i];
    if (!start || !(wallMs > 0)) return;
    const onCpuPct = (100 * (end.runMs - start.runMs)) / wallMs;
    if (!(onCpuPct > most)) return; // NaN (a thread that could not be read) never wins
    most = onCpuPct;
    busiest = { onCpuPct, waitingPct: (100 * (end.waitMs - start.waitMs)) / wallMs };
  });
  return busiest;
}

function machineMs(): { busy: number; total: number } {
  try {
    const [line] = readFileSync('/proc/stat', 'utf8').split('\n');
    // cpu  user nice system idle iowait irq softirq steal ...
    const t = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
    const idle = (t[3] ?? 0) + (t[4] ?? 0);
    const total = t.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: (total - idle) * MS_PER_TICK, total: total * MS_PER_TICK };
  } catch {
    return { busy: NaN, total: NaN };
  }
}

export function cpuSnapshot(servicePids: readonly number[]): CpuSnapshot {
  const machine = machineMs();
  const usage = process.cpuUsage();
  return {
    serviceMs: servicePids.reduce((sum, pid) => sum + processMs(pid).ms, 0),
    postgresMs: postgresMs(),
    benchMs: (usage.user + usage.system) / 1000,
    machineBusyMs: machine.busy,
    machineTotalMs: machine.total,
    mainThreads: servicePids.map(mainThreadTimes),
    atMs: performance.now(),
  };
}

export function cpuPerOrder(before: CpuSnapshot, after: CpuSnapshot, orders: number): CpuPerOrder {
  const per = (field: Exclude<keyof CpuSnapshot, 'mainThreads'>) =>
    (after[field] - before[field]) / Math.max(1, orders);
  const total = after.machineTotalMs - before.machineTotalMs;
  return {
    serviceMs: per('serviceMs'),
    postgresMs: per('postgresMs'),
    benchMs: per('benchMs'),
    machineBusyPct: (100 * (after.machineBusyMs - before.machineBusyMs)) / total,
    mainThread: mainThreadShare(before, after),
  };
}

/**
 * A yardstick of the machine's single-core speed, to compare runs from different days: ms
 * for a fixed piece of JavaScript of the kind the service does most (JSON of an order-sized
 * object, out and back, 50,000 times), best of three. Lower is faster. B1 measures the disk's
 * commits; this measures the CPU, which sets the cost of every order.
 */
export function cpuYardstickMs(): number {
  const order = {
    orderId: '0b6f2f8e-5d5e-4a57-9d0b-6f1d1c7e8a11',
    items: [
      { productId: '5d0c7f26-0a5e-4c0e-9e4e-0d2b1f9b6a70', quantity: 2, unitPrice: 1999 },
      { productId: '9a4f0c2e-7b1d-4f3a-8c6e-2e5d7a9b1c34', quantity: 1, unitPrice: 500 },
    ],
    at: '2026-11-22T02:00:00.000Z',
    metadata: { correlationId: 'c'.repeat(36), causationId: 'd'.repeat(36), schemaVersion: 1 },
  };
  let best = Infinity;
  for (let run = 0; run < 3; run++) {
    const started = process.hrtime.bigint();
    let lines = 0;
    for (let i = 0; i < 50_000; i++) {
      lines += (JSON.parse(JSON.stringify(order)) as typeof order).items.length;
    }
    if (lines !== 100_000) throw new Error('yardstick: JSON round trip lost lines');
    best = Math.min(best, Number(process.hrtime.bigint() - started) / 1e6);
  }
  return best;
}
