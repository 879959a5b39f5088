import type { MigrationSet } from '../../infra/migrations';

/**
 * Tables and the append function of the PostgreSQL event store.
 *
 * Global position. A bigserial would be assigned at insert but become visible at commit,
 * so a reader that has passed N+1 could miss a slow transaction's N forever. Instead the
 * position is derived from the appending transaction's id: `xid << 16 | index`. A reader
 * only reads positions below `pg_snapshot_xmin(pg_current_snapshot()) << 16`: every
 * transaction with a smaller id has finished, and every transaction still to come has a
 * larger one, so nothing can ever appear below what a reader has passed. Positions are
 * strictly increasing but not dense (EventStoreDB's are not dense either). 16 bits allow
 * 65,536 events per transaction and 2^47 transactions.
 *
 * One round trip per append. An append with an exact expected revision or `no_stream` (what
 * command handlers send) is one INSERT: the `(stream_name, revision)` unique index is the
 * compare-and-swap, so two appends expecting the same revision cannot both land. Anything
 * else (`any`, `stream_exists`, a repeat of an append already stored, a conflict) goes
 * through `es_append`, which takes a per-stream advisory lock, checks idempotency and the
 * expectation against the stream's last revision, and returns an outcome row instead of
 * raising so the adapter can build typed errors. See postgres-append.ts.
 */
export const eventStoreMigrations: MigrationSet = {
  component: 'eventstore',
  migrations: [
    {
      version: 1,
      name: 'streams, events and es_append',
      sql: `
CREATE TABLE es_events (
  position bigint PRIMARY KEY,
  event_id uuid NOT NULL,
  stream_name text NOT NULL,
  revision bigint NOT NULL,
  event_type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT es_events_event_id_key UNIQUE (event_id),
  CONSTRAINT es_events_stream_revision_key UNIQUE (stream_name, revision)
);

-- p_expected: 'any' | 'no_stream' | 'stream_exists' | a revision as decimal text.
-- p_events: a JSON array of {id, type, data, metadata}.
-- outcome: 'appended' | 'idempotent' | 'wrong_revision' (next_revision = actual, NULL when
-- the stream does not exist) | 'duplicate_id' (conflict_id names it).
CREATE FUNCTION es_append(p_stream text, p_expected text, p_events jsonb)
RETURNS TABLE (outcome text, next_revision bigint, last_position bigint, conflict_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
  v_count int := jsonb_array_length(p_events);
  v_first_id uuid := (p_events->0->>'id')::uuid;
  v_seq int := coalesce(nullif(current_setting('orderflow.append_seq', true), ''), '0')::int;
  v_current bigint;
  v_base bigint;
  v_found_stream text;
  v_found_rev bigint;
  v_matching int;
BEGIN
  -- Appends through this function take turns per stream; each statement below then reads
  -- with a fresh snapshot that sees the previous holder's commit.
  PERFORM pg_advisory_xact_lock(7320, hashtext(p_stream));
  SELECT max(e.revision) INTO v_current FROM es_events e WHERE e.stream_name = p_stream;

  -- A repeat of an append already stored writes nothing and returns the original result.
  SELECT e.stream_name, e.revision INTO v_found_stream, v_found_rev
    FROM es_events e WHERE e.event_id = v_first_id;
  IF FOUND THEN
    SELECT count(*) INTO v_matching
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS n(ev, i)
      JOIN es_events e ON e.stream_name = p_stream
                      AND e.revision = v_found_rev + n.i - 1
                      AND e.event_id = (n.ev->>'id')::uuid;
    IF v_found_stream <> p_stream OR v_matching <> v_count THEN
      RETURN QUERY SELECT 'duplicate_id'::text, NULL::bigint, NULL::bigint, v_first_id;
    ELSIF p_expected IN ('any', 'stream_exists')
       OR (p_expected = 'no_stream' AND v_found_rev = 0)
       OR (p_expected NOT IN ('any', 'stream_exists', 'no_stream')
           AND p_expected::bigint = v_found_rev - 1) THEN
      RETURN QUERY SELECT 'idempotent'::text, v_found_rev + v_count - 1, e.position, NULL::uuid
        FROM es_events e WHERE e.stream_name = p_stream AND e.revision = v_found_rev + v_count - 1;
    ELSE
      RETURN QUERY SELECT 'wrong_revision'::text, v_current, NULL::bigint, NULL::uuid;
    END IF;
    RETURN;
  END IF;

  IF NOT (p_expected = 'any'
          OR (p_expected = 'no_stream' AND v_current IS NULL)
          OR (p_expected = 'stream_exists' AND v_current IS NOT NULL)
          OR (p_expected NOT IN ('any', 'no_stream', 'stream_exists')
              AND v_current IS NOT DISTINCT FROM p_expected::bigint)) THEN
    RETURN QUERY SELECT 'wrong_revision'::text, v_current, NULL::bigint, NULL::uuid;
    RETURN;
  END IF;
  IF v_seq + v_count > 65536 THEN
    RAISE EXCEPTION 'es_append: more than 65536 events in one transaction';
  END IF;

  v_base := (pg_current_xact_id()::text::bigint << 16) + v_seq;
  INSERT INTO es_events (position, event_id, stream_name, revision, event_type, data, metadata)
  SELECT v_base + n.i - 1, (n.ev->>'id')::uuid, p_stream, coalesce(v_current, -1) + n.i,
         n.ev->>'type', n.ev->'data', n.ev->'metadata'
    FROM jsonb_array_elements(p_events) WITH ORDINALITY AS n(ev, i);
  PERFORM set_config('orderflow.append_seq', (v_seq + v_count)::text, true);

  RETURN QUERY SELECT 'appended'::text, coalesce(v_current, -1) + v_count,
    v_base + v_count - 1, NULL::uuid;
END;
$$;
`,
    },
  ],
};
