import { cpus } from 'node:os';
import { fmt, formatTable, round } from './report';
import type { SubscriberStats, SubscriptionLatencyResult } from './subscription-latency';
import type { ClosedLoopResult } from './timing';

/** Everything one run measured, and what it needs to be interpreted. */
export interface BenchResults {
  source: 'DATABASE_URL' | 'embedded';
  facts: Record<string, string>;
  config: {
    writers: number;
    seconds: number;
    warmupSeconds: number;
    sliceSeconds: number;
    subRate: number;
    page: number;
  };
  payloadBytes: { data: number; metadata: number };
  b1: ClosedLoopResult;
  single: ClosedLoopResult;
  batched: ClosedLoopResult;
  b2: ClosedLoopResult;
  reads: ClosedLoopResult;
  sub: SubscriptionLatencyResult;
  rowCounts: { baseline: number; events: number };
  passRows: { ours: number; raw: number };
  /** What else ran: 1-minute load average, sessions of other databases on the server. */
  load: {
    loadAvgAtStart: number;
    loadAvgAtEnd: number;
    otherSessionsAtStart: number;
    otherSessionsAtEnd: number;
  };
}

const TARGETS = { appends: 0.8, batched: 3, readAll: 0.7, p99Ms: 50 };
const SUBSCRIBER_LABELS: Record<string, string> = {
  sameStore: "writers' store",
  otherStore: '2nd store, NOTIFY',
};

/** Reasons to distrust a figure: rows not written, readers not reading the same rows, ... */
export function sanityChecks(r: BenchResults): string[] {
  const checks: string[] = [];
  const appended = r.single.units + r.batched.units;
  if (r.rowCounts.baseline < r.b1.units)
    checks.push(
      `bench_baseline has ${r.rowCounts.baseline} rows, fewer than the ${r.b1.units} counted`,
    );
  if (r.rowCounts.events < appended)
    checks.push(`es_events has ${r.rowCounts.events} rows, fewer than the ${appended} appended`);
  if (r.passRows.ours !== r.passRows.raw)
    checks.push(`a full pass read ${r.passRows.ours} events with readAll, ${r.passRows.raw} raw`);
  // Appends may pass B1: the store sends the appends of concurrent writers as one multi-row
  // INSERT (group commit). More than one per writer per B1 commit cannot be.
  if (r.single.opsPerSec > 1.05 * r.config.writers * r.b1.unitsPerSec)
    checks.push('appends/s above writers x B1, more than group commit can give: not comparable?');
  if (r.reads.unitsPerSec > 1.05 * r.b2.unitsPerSec)
    checks.push('readAll above B2, yet it does more than the raw SELECT: not comparable?');
  for (const [name, s] of Object.entries(r.sub.subscribers)) {
    if (s.missed > 0) checks.push(`${name} subscriber missed ${s.missed} events`);
    if (s.duplicates > 0) checks.push(`${name} subscriber saw ${s.duplicates} events twice`);
    if (s.outOfOrder > 0) checks.push(`${name} subscriber saw ${s.outOfOrder} events out of order`);
  }
  if (r.sub.writersOverranMs > 100)
    checks.push(
      `latency writers fell behind schedule (done ${fmt(r.sub.writersOverranMs)} ms late): ` +
        'the rate was not steady',
    );
  if (r.sub.achievedPerSec < 0.95 * r.config.subRate)
    checks.push(`writers reached ${fmt(r.sub.achievedPerSec)} of ${r.config.subRate} events/s`);
  return checks;
}

/** Prints the facts, the table and, last, one JSON line with every figure. */
export function printReport(r: BenchResults, checks: readonly string[]): void {
  const ratios = {
    appends: r.single.opsPerSec / r.b1.unitsPerSec,
    batched: r.batched.unitsPerSec / r.b1.unitsPerSec,
    readAll: r.reads.unitsPerSec / r.b2.unitsPerSec,
  };
  const met = {
    appends: ratios.appends >= TARGETS.appends,
    batched: ratios.batched >= TARGETS.batched,
    readAll: ratios.readAll >= TARGETS.readAll,
  };
  const p99Met = (s: SubscriberStats): boolean => s.latency.p99 < TARGETS.p99Ms;
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    node: process.version,
    postgres: r.facts.server_version ?? '?',
    synchronousCommit: r.facts.synchronous_commit ?? '?',
    fsync: r.facts.fsync ?? '?',
    sharedBuffers: r.facts.shared_buffers ?? '?',
    walSyncMethod: r.facts.wal_sync_method ?? '?',
    ...r.load,
  };
  const { writers, seconds, warmupSeconds, sliceSeconds, subRate, page } = r.config;

  console.log(
    r.source === 'embedded'
      ? 'database: embedded PostgreSQL in a temporary directory (DATABASE_URL not set)'
      : 'database: the DATABASE_URL server, in a throw-away database',
  );
  console.log(
    `machine: ${machine.cpus} CPUs (${machine.cpuModel}), node ${machine.node}, ` +
      `PostgreSQL ${machine.postgres}, synchronous_commit=${machine.synchronousCommit}, ` +
      `fsync=${machine.fsync}, shared_buffers=${machine.sharedBuffers}, ` +
      `wal_sync_method=${machine.walSyncMethod}`,
  );
  console.log(
    `other load: 1-min load average ${fmt(r.load.loadAvgAtStart)} at start, ` +
      `${fmt(r.load.loadAvgAtEnd)} at end; sessions of other databases on the server ` +
      `${r.load.otherSessionsAtStart} at start, ${r.load.otherSessionsAtEnd} at end`,
  );
  console.log(
    `workload: ${writers} writers; ${seconds} s measured per phase after ${warmupSeconds} s ` +
      `warm-up, compared phases alternating in ${sliceSeconds} s slices; events of ${r.payloadBytes.data} B data + ${r.payloadBytes.metadata} B ` +
      `metadata, readers over ${r.passRows.raw} events\n`,
  );

  const yes = (ok: boolean): string => (ok ? 'yes' : 'NO');
  const b1 = `B1 ${fmt(r.b1.unitsPerSec, 'commits/s')}`;
  const latencyRows = Object.entries(r.sub.subscribers).flatMap(([key, s]) => {
    const name = SUBSCRIBER_LABELS[key] ?? key;
    return [
      [`subscription p99, ${name}`, fmt(s.latency.p99, 'ms'), '-', '-', '< 50 ms', yes(p99Met(s))],
      [`subscription p50, ${name}`, fmt(s.latency.p50, 'ms'), '-', '-', '-', '-'],
      [`subscription max, ${name}`, fmt(s.latency.max, 'ms'), '-', '-', '-', '-'],
    ];
  });
  // prettier-ignore
  const rows = [
    [`B1 raw INSERT, ${writers} connections`, fmt(r.b1.unitsPerSec, 'commits/s'), '-', '-', '-', '-'],
    ['appends, 1 event each', fmt(r.single.opsPerSec, 'appends/s'), b1, fmt(ratios.appends), '>= 0.8 x B1', yes(met.appends)],
    ['appends, 10 events each', fmt(r.batched.unitsPerSec, 'events/s'), b1, fmt(ratios.batched), '>= 3 x B1', yes(met.batched)],
    [`readAll, pages of ${page}`, fmt(r.reads.unitsPerSec, 'events/s'), `B2 ${fmt(r.b2.unitsPerSec, 'events/s')}`, fmt(ratios.readAll), '>= 0.7 x B2', yes(met.readAll)],
    ['subscription write rate', fmt(r.sub.achievedPerSec, 'events/s'), `asked ${fmt(subRate, 'events/s')}`, '-', '-', '-'],
    ...latencyRows,
  ];
  console.log(formatTable(['phase', 'figure', 'baseline', 'ratio', 'target', 'met?'], rows));
  console.log(
    checks.length === 0
      ? '\nchecks: all passed'
      : `\nchecks FAILED (distrust the figures):\n- ${checks.join('\n- ')}`,
  );

  const loop = (x: ClosedLoopResult) => ({
    ops: x.ops,
    opsPerSec: round(x.opsPerSec),
    unitsPerSec: round(x.unitsPerSec),
    opLatencyP50Ms: round(x.latency.p50, 3),
    opLatencyP99Ms: round(x.latency.p99, 3),
  });
  const subscriber = (s: SubscriberStats) => ({
    p50Ms: round(s.latency.p50, 3),
    p99Ms: round(s.latency.p99, 3),
    maxMs: round(s.latency.max, 3),
    minMs: round(s.latency.min, 3),
    met: p99Met(s),
    missed: s.missed,
    duplicates: s.duplicates,
    outOfOrder: s.outOfOrder,
  });
  const subscribers = Object.entries(r.sub.subscribers).map(
    ([n, s]) => [n, subscriber(s)] as const,
  );
  console.log(
    JSON.stringify({
      bench: 'eventstore',
      database: r.source,
      machine,
      config: r.config,
      payloadBytes: r.payloadBytes,
      b1: { commitsPerSec: round(r.b1.unitsPerSec), ...loop(r.b1) },
      appends: {
        appendsPerSec: round(r.single.opsPerSec),
        ratioToB1: round(ratios.appends, 3),
        target: TARGETS.appends,
        met: met.appends,
        ...loop(r.single),
      },
      batched: {
        eventsPerSec: round(r.batched.unitsPerSec),
        ratioToB1: round(ratios.batched, 3),
        target: TARGETS.batched,
        met: met.batched,
        ...loop(r.batched),
      },
      b2: { eventsPerSec: round(r.b2.unitsPerSec), ...loop(r.b2) },
      readAll: {
        eventsPerSec: round(r.reads.unitsPerSec),
        ratioToB2: round(ratios.readAll, 3),
        target: TARGETS.readAll,
        met: met.readAll,
        eventsPerPass: r.passRows.ours,
        ...loop(r.reads),
      },
      subscription: {
        askedPerSec: subRate,
        achievedPerSec: round(r.sub.achievedPerSec),
        events: r.sub.events,
        writersOverranMs: round(r.sub.writersOverranMs, 1),
        targetP99Ms: TARGETS.p99Ms,
        ...Object.fromEntries(subscribers),
      },
      checks,
    }),
  );
}
