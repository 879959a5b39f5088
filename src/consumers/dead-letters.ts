import { createHash } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { RecordedEvent } from '../eventstore';
import { describeError } from './errors';

type Db = Pool | PoolClient;

/** A parked event: the poison event of its stream (`heldBehind` null) or one held behind it. */
export interface ParkedEvent {
  consumerName: string;
  position: bigint;
  eventId: string;
  streamName: string;
  eventType: string;
  errorMessage: string;
  errorStack: string | null;
  attempts: number;
  heldBehind: bigint | null;
  parkedAt: Date;
}

interface ParkedRow {
  consumer_name: string;
  position: string;
  event_id: string;
  stream_name: string;
  event_type: string;
  error_message: string;
  error_stack: string | null;
  attempts: number;
  held_behind: string | null;
  parked_at: Date;
}

/** Parks a poison event: its handler failed `attempts` times with `error`. */
export async function parkPoisonEvent(
  db: Db,
  consumerName: string,
  event: RecordedEvent,
  error: unknown,
  attempts: number,
): Promise<void> {
  const { message, stack } = describeError(error);
  await insertParked(db, consumerName, event, message, stack, attempts, null);
}

/** Parks an event of a held stream behind that stream's poison event, unhandled. */
export async function parkHeldEvent(
  db: Db,
  consumerName: string,
  event: RecordedEvent,
  poisonPosition: bigint,
): Promise<void> {
  const message = `held behind the parked event at position ${poisonPosition} of stream '${event.streamName}'`;
  await insertParked(db, consumerName, event, message, null, 0, poisonPosition);
}

async function insertParked(
  db: Db,
  consumerName: string,
  event: RecordedEvent,
  message: string,
  stack: string | null,
  attempts: number,
  heldBehind: bigint | null,
): Promise<void> {
  await db.query(
    `INSERT INTO consumer_dead_letters (consumer_name, position, event_id, stream_name,
       event_type, error_message, error_stack, attempts, held_behind)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (consumer_name, position) DO NOTHING`,
    [
      consumerName,
      event.position.toString(),
      event.id,
      event.streamName,
      event.type,
      message,
      stack,
      attempts,
      heldBehind?.toString() ?? null,
    ],
  );
}

/** The consumer's held streams, each with its poison event's position. */
export async function heldStreams(db: Db, consumerName: string): Promise<Map<string, bigint>> {
  const { rows } = await db.query<{ stream_name: string; position: string }>(
    `SELECT stream_name, min(position)::text AS position FROM consumer_dead_letters
      WHERE consumer_name = $1 GROUP BY stream_name`,
    [consumerName],
  );
  return new Map(rows.map((r) => [r.stream_name, BigInt(r.position)]));
}

/**
 * Serialises a projection's batch transactions (shared) with `retryParked` (exclusive), so a
 * batch never parks an event behind a hold that a concurrent retry is releasing.
 */
export async function lockDeadLetters(
  tx: PoolClient,
  consumerName: string,
  exclusive: boolean,
): Promise<void> {
  const key = createHash('sha256').update(`orderflow.dead-letters:${consumerName}`).digest();
  const fn = exclusive ? 'pg_advisory_xact_lock' : 'pg_advisory_xact_lock_shared';
  await tx.query(`SELECT ${fn}($1::bigint)`, [key.readBigInt64BE(0).toString()]);
}

/** Parked events in position order, of one consumer or of all. */
export async function listParked(pool: Db, consumerName?: string): Promise<ParkedEvent[]> {
  const { rows } = await pool.query<ParkedRow>(
    `SELECT * FROM consumer_dead_letters WHERE $1::text IS NULL OR consumer_name = $1
      ORDER BY consumer_name, position`,
    [consumerName ?? null],
  );
  return rows.map(toParkedEvent);
}

export async function countParked(pool: Db, consumerName: string): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM consumer_dead_letters WHERE consumer_name = $1',
    [consumerName],
  );
  return rows[0]?.n ?? 0;
}

export function toParkedEvent(r: ParkedRow): ParkedEvent {
  return {
    consumerName: r.consumer_name,
    position: BigInt(r.position),
    eventId: r.event_id,
    streamName: r.stream_name,
    eventType: r.event_type,
    errorMessage: r.error_message,
    errorStack: r.error_stack,
    attempts: r.attempts,
    heldBehind: r.held_behind === null ? null : BigInt(r.held_behind),
    parkedAt: r.parked_at,
  };
}

export type { ParkedRow };
