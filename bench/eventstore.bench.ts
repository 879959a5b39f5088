/**
 * `npm run bench:eventstore`: the PostgreSQL event store against raw `pg` on the same
 * database, in the same run (issue 2, section 8).
 *
 *   B1       raw single-row INSERT commits/s, 8 connections, a table shaped like es_events
 *   appends  appends/s, 1 event per append, 8 writers on their own streams; ratio to B1
 *   batched  events/s, 10 events per append; ratio to B1
 *   readAll  events/s in pages of 1000, against B2: a raw SELECT of the same rows and pages
 *   latency  commit-to-handler latency of subscribeToAll at a steady 1,000 events/s
 *
 * Env: DATABASE_URL (a server to create a throw-away database on; else embedded PostgreSQL),
 * BENCH_SECONDS (measured seconds per phase, default 10), BENCH_WARMUP_SECONDS (default 2),
 * BENCH_SLICE_SECONDS (compared phases alternate in slices this long, default 1),
 * BENCH_SUB_RATE (events/s of the latency phase, default 1000).
 * It reports and does not judge: exit 0 when a target is missed, non-zero on errors.
 */
import { loadavg } from 'node:os';
import { Client } from 'pg';
import { createPostgresEventStore } from '../src/eventstore';
import { openBenchDatabase, otherSessions, serverFacts } from './support/database';
import { printReport, sanityChecks } from './support/eventstore-report';
import { fullPassCounts, rawSelectPages, readAllPages } from './support/read-phases';
import { subscriptionLatency } from './support/subscription-latency';
import { interleave } from './support/timing';
import { benchEvent } from './support/workload';
import { baselineInserts, storeAppends } from './support/write-phases';
import { announceDatabase, cleanupStack, positiveNumber, progress, runBench } from './support/cli';

const WRITERS = 8;
const PAGE = 1000;
const seconds = positiveNumber('BENCH_SECONDS', 10);
const warmupSeconds = positiveNumber('BENCH_WARMUP_SECONDS', 2);
const subRate = positiveNumber('BENCH_SUB_RATE', 1000);
const sliceSeconds = positiveNumber('BENCH_SLICE_SECONDS', 1);
const timing = {
  warmupMs: warmupSeconds * 1000,
  durationMs: seconds * 1000,
  sliceMs: sliceSeconds * 1000,
};

async function main(): Promise<void> {
  const closers = cleanupStack();
  const closeAll = () => closers.closeAll();

  try {
    announceDatabase();
    const db = await openBenchDatabase();
    closers.push(() => db.dispose());

    const meta = new Client({ connectionString: db.connectionString });
    await meta.connect();
    closers.push(() => meta.end());
    const facts = await serverFacts(meta);
    const load = { loadAvgAtStart: loadavg()[0]!, otherSessionsAtStart: await otherSessions(meta) };
    await meta.query('CREATE TABLE bench_baseline (LIKE es_events INCLUDING ALL)');

    const store = await createPostgresEventStore({
      connectionString: db.connectionString,
      poolSize: WRITERS + 4,
    });
    closers.push(() => store.close());
    // A second store stands for another process: it hears of appends only through NOTIFY.
    const otherStore = await createPostgresEventStore({
      connectionString: db.connectionString,
      poolSize: 2,
    });
    closers.push(() => otherStore.close());

    // Baselines and ours run in alternating slices of BENCH_SLICE_SECONDS (see interleave).
    progress(`writes: B1 raw INSERT | 1 event per append | 10 per append, ${WRITERS} writers`);
    const baseline = await baselineInserts(db.connectionString, WRITERS);
    const writers = { writers: WRITERS };
    closers.push(baseline.close);
    await meta.query('CHECKPOINT');
    const writes = await interleave(
      {
        b1: baseline.phase,
        single: storeAppends(store, { ...writers, appendsPerStream: 10, eventsPerAppend: 1 }),
        batched: storeAppends(store, { ...writers, appendsPerStream: 5, eventsPerAppend: 10 }),
      },
      timing,
    );

    const rowCounts = await countRows(meta);
    await meta.query('VACUUM ANALYZE es_events'); // both readers read the same settled table
    const passRows = await fullPassCounts(store, meta, PAGE);
    progress(`reads: B2 raw SELECT | readAll, pages of ${PAGE} over ${passRows.raw} events`);
    const reads = await interleave(
      { b2: rawSelectPages(meta, PAGE), ours: readAllPages(store, PAGE) },
      timing,
    );

    progress(`subscription latency at ${subRate} events/s from ${WRITERS} writers`);
    const sub = await subscriptionLatency(
      store,
      { sameStore: store, otherStore },
      { writers: WRITERS, eventsPerSec: subRate },
      timing,
    );

    const sample = benchEvent(`order-${'0'.repeat(36)}`, 0);
    const results = {
      source: db.source,
      facts,
      config: { writers: WRITERS, seconds, warmupSeconds, sliceSeconds, subRate, page: PAGE },
      payloadBytes: {
        data: JSON.stringify(sample.data).length,
        metadata: JSON.stringify(sample.metadata).length,
      },
      b1: writes.b1,
      single: writes.single,
      batched: writes.batched,
      b2: reads.b2,
      reads: reads.ours,
      sub,
      rowCounts,
      passRows,
      load: {
        ...load,
        loadAvgAtEnd: loadavg()[0]!,
        otherSessionsAtEnd: await otherSessions(meta),
      },
    };
    printReport(results, sanityChecks(results));
  } finally {
    await closeAll();
  }
}

async function countRows(client: Client): Promise<{ baseline: number; events: number }> {
  const { rows } = await client.query<{ baseline: string; events: string }>(
    `SELECT (SELECT count(*) FROM bench_baseline) AS baseline,
            (SELECT count(*) FROM es_events) AS events`,
  );
  return { baseline: Number(rows[0]?.baseline), events: Number(rows[0]?.events) };
}

runBench(main);
