import type { MigrationSet } from '../infra/migrations';

/** SQLSTATE of `consumer_checkpoint_moved`: a class of its own, no server error has it. */
export const CHECKPOINT_MOVED = 'OF001';

/**
 * Tables of the consumer runner.
 *
 * `consumer_checkpoints`: one row per consumer name. `position` is the last event done;
 * `updated_at` moves with it. The leader also records its kind, filter and state, so
 * another process can report on it (`readConsumerStatuses`).
 *
 * `consumer_dead_letters`: parked events. A stream with a parked event is held for that
 * consumer: its later events are parked behind it (`held_behind` = the poison event's
 * position) until `retryParked` succeeds. The earliest row of a stream is its poison event.
 */
export const consumerMigrations: MigrationSet = {
  component: 'consumers',
  migrations: [
    {
      version: 1,
      name: 'checkpoints and dead letters',
      sql: `
CREATE TABLE consumer_checkpoints (
  name text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('projection', 'reactor')),
  position bigint NOT NULL DEFAULT 0,
  filter jsonb,
  state text,
  last_error text,
  retrying_since timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE consumer_dead_letters (
  consumer_name text NOT NULL,
  position bigint NOT NULL,
  event_id uuid NOT NULL,
  stream_name text NOT NULL,
  event_type text NOT NULL,
  error_message text NOT NULL,
  error_stack text,
  attempts integer NOT NULL,
  held_behind bigint,
  parked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_name, position)
);

CREATE INDEX consumer_dead_letters_stream_idx
  ON consumer_dead_letters (consumer_name, stream_name, position);
`,
    },
    {
      version: 2,
      name: 'checkpoint fence of one-statement batches',
      // Raised by a projection's one-statement batch whose checkpoint compare-and-set found
      // the position moved: the error rolls the whole statement back (see batch-statement.ts).
      sql: `
CREATE FUNCTION consumer_checkpoint_moved(consumer text) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = '${CHECKPOINT_MOVED}',
    MESSAGE = format('checkpoint of %L was moved by another instance', consumer);
END
$$;
`,
    },
  ],
};
