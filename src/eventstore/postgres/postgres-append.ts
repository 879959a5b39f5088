import type { DatabaseError, Pool } from 'pg';
import { queryKeepingConnection } from '../../infra/transaction';
import { DuplicateEventIdError, type ExpectedRevision } from '../event-store';
import { appendPayload, type SerializedEvent } from '../validation';

export interface AppendOutcome {
  outcome: 'appended' | 'idempotent' | 'wrong_revision' | 'duplicate_id';
  next_revision: string | null;
  last_position: string | null;
  conflict_id: string | null;
}

// The fast path: one INSERT guarded by the stream's last revision. `$2` is the expected
// revision, -1 for `no_stream`. It inserts nothing unless the expected revision is the
// stream's last (there, and nothing after it), and the `(stream_name, revision)` unique
// index settles a race with an append not yet committed (a unique violation); every miss
// goes to `es_append`. Checking "nothing after it" first matters: a writer with a stale
// cached state (another process appended) otherwise broke the statement, and a group with
// it, and a server error per conflict filled PostgreSQL's log (bench:orders, split).
const FAST_APPEND = `WITH ins AS (
  INSERT INTO es_events (position, event_id, stream_name, revision, event_type, data, metadata)
  SELECT (pg_current_xact_id()::text::bigint << 16) + n.i - 1, (n.ev->>'id')::uuid, $1,
         $2::bigint + n.i, n.ev->>'type', n.ev->'data', n.ev->'metadata'
    FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS n(ev, i)
   WHERE NOT EXISTS (SELECT 1 FROM es_events WHERE stream_name = $1 AND revision = $2::bigint + 1)
     AND ($2::bigint < 0
          OR EXISTS (SELECT 1 FROM es_events WHERE stream_name = $1 AND revision = $2::bigint))
  RETURNING position, revision)
SELECT max(position)::text AS last_position, max(revision)::text AS next_revision FROM ins`;

// The same for one event (the common case), without unpacking a JSON array: measured about
// 10% faster than FAST_APPEND on a single event.
const FAST_APPEND_ONE = `INSERT INTO es_events
    (position, event_id, stream_name, revision, event_type, data, metadata)
  SELECT pg_current_xact_id()::text::bigint << 16, $3::uuid, $1, $2::bigint + 1, $4,
         $5::jsonb, $6::jsonb
   WHERE NOT EXISTS (SELECT 1 FROM es_events WHERE stream_name = $1 AND revision = $2::bigint + 1)
     AND ($2::bigint < 0
          OR EXISTS (SELECT 1 FROM es_events WHERE stream_name = $1 AND revision = $2::bigint))
  RETURNING position::text AS last_position, revision::text AS next_revision`;

const SLOW_ATTEMPTS = 5;

/**
 * Appends serialised events and says what happened. Exact
 * revisions and `no_stream` try the one-statement fast path first; everything else, and
 * every fast-path miss, goes through `es_append`, which decides precisely (idempotent
 * repeat, wrong revision with the actual one, duplicate id).
 */
export async function appendToPostgres(
  pool: Pool,
  stream: string,
  expected: ExpectedRevision,
  events: readonly SerializedEvent[],
): Promise<AppendOutcome> {
  const payload = events.length === 1 ? undefined : appendPayload(events);
  if (expected === 'no_stream' || typeof expected === 'bigint') {
    const revision = expected === 'no_stream' ? '-1' : expected.toString();
    const [one] = events;
    const fast = await queryKeepingConnection<{
      last_position: string | null;
      next_revision: string | null;
    }>(
      pool,
      one && !payload
        ? {
            name: 'es_fast_append_one',
            text: FAST_APPEND_ONE,
            values: [stream, revision, one.id, one.type, one.dataJson, one.metadataJson],
          }
        : { name: 'es_fast_append', text: FAST_APPEND, values: [stream, revision, payload] },
    ).catch((error: unknown) => {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    });
    const row = fast?.rows[0];
    if (row?.last_position) return { ...row, outcome: 'appended', conflict_id: null };
  }
  const expectedText = typeof expected === 'bigint' ? expected.toString() : expected;
  for (let attempt = 1; ; attempt++) {
    try {
      const { rows } = await queryKeepingConnection<AppendOutcome>(pool, {
        name: 'es_append',
        text: 'SELECT * FROM es_append($1, $2, $3::jsonb)',
        values: [stream, expectedText, payload ?? appendPayload(events)],
      });
      if (!rows[0]) throw new Error('es_append returned no row');
      return rows[0];
    } catch (error) {
      // A fast-path insert (which takes no lock) or an identical append in flight got there
      // first; the next attempt sees its commit. An id that stays taken belongs to another append.
      if (!isUniqueViolation(error)) throw error;
      if (attempt >= SLOW_ATTEMPTS) {
        const e = error as DatabaseError;
        if (e.constraint === 'es_events_event_id_key') {
          throw new DuplicateEventIdError(
            stream,
            /\(event_id\)=\(([^)]+)\)/.exec(e.detail ?? '')?.[1] ?? '',
          );
        }
        throw error;
      }
    }
  }
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as Partial<DatabaseError>).code === '23505';
}
