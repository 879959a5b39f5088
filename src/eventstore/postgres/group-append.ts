import type { Pool } from 'pg';
import type { SerializedEvent } from '../validation';
import { queryKeepingConnection } from '../../infra/transaction';
import { appendToPostgres, type AppendOutcome, isUniqueViolation } from './postgres-append';

/**
 * Group commit for appends with an exact expected revision or `no_stream` (what command
 * handlers send). Appends made in the same turn of the event loop go out together, and an
 * append arriving while `lanes` statements are already in flight (the store uses its pool's
 * size: every connection busy) waits for the next batch: everything queued goes out as ONE
 * multi-row INSERT, one round trip and one commit for many streams. Each append keeps its
 * own compare-and-swap (its rows go in only if its expected revision is the stream's last:
 * there, and nothing after it), and the statement's outcome is told apart per append:
 *
 *   rows inserted            → appended (committed together with the others of the batch)
 *   no rows (guard failed)   → that append alone goes through `es_append`, which reports
 *                              the wrong revision, a repeat or a duplicate id precisely
 *   unique violation         → the statement wrote nothing: every append of the batch is
 *                              retried on its own, as if it had never been grouped. Only a
 *                              race does this now (a rival append not yet committed, or an
 *                              event id already stored): a writer whose cached state is
 *                              stale fails the guard instead. When the guard only checked
 *                              that the expected revision exists, such a writer broke the
 *                              whole batch; with two processes writing the same product
 *                              streams (bench:orders, split) that made 13,737 failed
 *                              statements in a run of 14,715 orders.
 *
 * No timer delays an append: the wait for the end of the turn (`setImmediate`) is what lets
 * the concurrent handlers of a reactor, woken together, write together.
 */
export class GroupAppend {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private turnScheduled = false;

  constructor(
    private readonly pool: Pool,
    private readonly lanes = 2,
    private readonly maxEvents = 1_000,
  ) {}

  append(
    stream: string,
    expected: bigint | 'no_stream',
    events: readonly SerializedEvent[],
  ): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ stream, expected, events, resolve, reject });
      if (!this.turnScheduled) {
        this.turnScheduled = true;
        setImmediate(() => {
          this.turnScheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.lanes && this.queue.length > 0) {
      const batch = this.take();
      this.inFlight += 1;
      void this.send(batch).finally(() => {
        this.inFlight -= 1;
        this.pump();
      });
    }
  }

  /** The next batch: queued appends in order, one per stream, up to `maxEvents` events. */
  private take(): Pending[] {
    const batch: Pending[] = [];
    const streams = new Set<string>();
    let events = 0;
    for (let i = 0; i < this.queue.length;) {
      const p = this.queue[i]!;
      const fits = batch.length === 0 || events + p.events.length <= this.maxEvents;
      if (!fits) break;
      if (streams.has(p.stream)) {
        i += 1; // a second append to a stream waits for the next batch
        continue;
      }
      this.queue.splice(i, 1);
      batch.push(p);
      streams.add(p.stream);
      events += p.events.length;
    }
    return batch;
  }

  private async send(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return this.alone(batch[0]!);
    let rows: { stream_name: string; revision: string; position: string }[];
    try {
      ({ rows } = await queryKeepingConnection<{
        stream_name: string;
        revision: string;
        position: string;
      }>(this.pool, { name: 'es_group_append', text: GROUP_APPEND, values: groupValues(batch) }));
    } catch (error) {
      if (!isUniqueViolation(error)) {
        for (const p of batch) p.reject(error);
        return;
      }
      // Nothing was written: each append on its own decides what it conflicted with.
      await Promise.all(batch.map((p) => this.alone(p)));
      return;
    }
    const last = new Map<string, { revision: bigint; position: bigint }>();
    for (const row of rows) {
      const revision = BigInt(row.revision);
      const position = BigInt(row.position);
      const seen = last.get(row.stream_name);
      if (!seen || revision > seen.revision) last.set(row.stream_name, { revision, position });
    }
    const retries: Promise<void>[] = [];
    for (const p of batch) {
      const done = last.get(p.stream);
      if (!done) {
        retries.push(this.alone(p)); // its guard failed: es_append says why
        continue;
      }
      p.resolve({
        outcome: 'appended',
        next_revision: done.revision.toString(),
        last_position: done.position.toString(),
        conflict_id: null,
      });
    }
    await Promise.all(retries);
  }

  private alone(p: Pending): Promise<void> {
    return appendToPostgres(this.pool, p.stream, p.expected, p.events).then(p.resolve, p.reject);
  }
}

interface Pending {
  stream: string;
  expected: bigint | 'no_stream';
  events: readonly SerializedEvent[];
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

// One element per event, in a JSON array (one parameter: no array-literal escaping of the
// already serialised data): `s` stream, `e` expected revision (-1: no stream), `k` the
// event's place in its append (1-based); `ord`, its place in the statement, gives positions
// that are unique within the transaction.
//
// `OFFSET 0` keeps the guard a per-row probe of the (stream_name, revision) index. Without
// it PostgreSQL may turn the EXISTS into a hashed subplan, which hashes the whole table on
// every execution: planned while es_events is small (a new database) and cached with the
// prepared statement, that plan cost 2-4x the database CPU per order in bench:orders.
export const GROUP_APPEND = `INSERT INTO es_events
    (position, event_id, stream_name, revision, event_type, data, metadata)
  SELECT (pg_current_xact_id()::text::bigint << 16) + x.ord - 1, (x.ev->>'id')::uuid,
         x.ev->>'s', (x.ev->>'e')::bigint + (x.ev->>'k')::int, x.ev->>'t', x.ev->'d', x.ev->'m'
    FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(ev, ord)
   WHERE NOT EXISTS (SELECT 1 FROM es_events e
                      WHERE e.stream_name = x.ev->>'s' AND e.revision = (x.ev->>'e')::bigint + 1
                     OFFSET 0)
     AND ((x.ev->>'e')::bigint < 0
          OR EXISTS (SELECT 1 FROM es_events e
                      WHERE e.stream_name = x.ev->>'s' AND e.revision = (x.ev->>'e')::bigint
                     OFFSET 0))
  RETURNING stream_name, revision::text, position::text`;

function groupValues(batch: readonly Pending[]): unknown[] {
  const elements: string[] = [];
  for (const p of batch) {
    const stream = JSON.stringify(p.stream);
    const expected = p.expected === 'no_stream' ? '-1' : p.expected.toString();
    p.events.forEach((e, i) => {
      elements.push(
        `{"s":${stream},"e":${expected},"k":${i + 1},"id":"${e.id}",` +
          `"t":${JSON.stringify(e.type)},"d":${e.dataJson},"m":${e.metadataJson}}`,
      );
    });
  }
  return [`[${elements.join(',')}]`];
}
