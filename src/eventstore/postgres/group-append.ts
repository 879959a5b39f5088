import type { Pool } from 'pg';
import type { SerializedEvent } from '../validation';
import { appendToPostgres, type AppendOutcome, isUniqueViolation } from './postgres-append';

/**
 * Group commit for appends with an exact expected revision or `no_stream` (what command
 * handlers send). An append arriving while `lanes` statements are already in flight (the
 * store uses its pool's size: every connection busy) waits, and everything that waited goes
 * out as ONE multi-row INSERT: one round trip and one
 * commit for many streams. Each append keeps its own compare-and-swap (its rows go in only
 * if its expected revision is the stream's last), and the statement's outcome is told apart
 * per append:
 *
 *   rows inserted            → appended (committed together with the others of the batch)
 *   no rows (guard failed)   → that append alone goes through `es_append`, which reports
 *                              the wrong revision, a repeat or a duplicate id precisely
 *   unique violation         → the statement wrote nothing: every append of the batch is
 *                              retried on its own, as if it had never been grouped
 *
 * An append never waits for a timer: with nothing in flight it goes out at once, alone.
 */
export class GroupAppend {
  private readonly queue: Pending[] = [];
  private inFlight = 0;

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
      this.pump();
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
      ({ rows } = await this.pool.query<{
        stream_name: string;
        revision: string;
        position: string;
      }>({ name: 'es_group_append', text: GROUP_APPEND, values: groupValues(batch) }));
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

// One row per event; `k` is the event's place in its append (1-based), `ord` its place in
// the statement, which gives positions that are unique within the transaction.
const GROUP_APPEND = `INSERT INTO es_events
    (position, event_id, stream_name, revision, event_type, data, metadata)
  SELECT (pg_current_xact_id()::text::bigint << 16) + x.ord - 1, x.id, x.stream,
         x.expected + x.k, x.type, x.data::jsonb, x.metadata::jsonb
    FROM unnest($1::text[], $2::bigint[], $3::int[], $4::uuid[], $5::text[], $6::text[],
                $7::text[]) WITH ORDINALITY AS x(stream, expected, k, id, type, data, metadata, ord)
   WHERE x.expected < 0
      OR EXISTS (SELECT 1 FROM es_events e
                  WHERE e.stream_name = x.stream AND e.revision = x.expected)
  RETURNING stream_name, revision::text, position::text`;

function groupValues(batch: readonly Pending[]): unknown[] {
  const columns: [string[], string[], number[], string[], string[], string[], string[]] = [
    [],
    [],
    [],
    [],
    [],
    [],
    [],
  ];
  const [streams, expected, k, ids, types, data, metadata] = columns;
  for (const p of batch) {
    const revision = p.expected === 'no_stream' ? '-1' : p.expected.toString();
    p.events.forEach((e, i) => {
      streams.push(p.stream);
      expected.push(revision);
      k.push(i + 1);
      ids.push(e.id);
      types.push(e.type);
      data.push(e.dataJson);
      metadata.push(e.metadataJson);
    });
  }
  return columns;
}
