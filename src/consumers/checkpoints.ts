import type { Pool, PoolClient } from 'pg';
import { inTransaction as inSharedTransaction, TransactionRolledBack } from '../infra/transaction';
import type { EventFilter } from '../eventstore';
import type { ConsumerKind, ConsumerState } from './consumer';
import { HandlerError } from './errors';

type Db = Pool | PoolClient;

/**
 * Creates the consumer's checkpoint row when missing (position 0), records its kind and
 * filter, and returns the stored position.
 */
export async function ensureCheckpoint(
  db: Db,
  consumer: { name: string; kind: ConsumerKind; filter?: EventFilter },
): Promise<bigint> {
  const { rows } = await db.query<{ position: string }>(
    `INSERT INTO consumer_checkpoints AS c (name, kind, filter) VALUES ($1, $2, $3)
     ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, filter = EXCLUDED.filter
     RETURNING c.position`,
    [consumer.name, consumer.kind, consumer.filter ? JSON.stringify(consumer.filter) : null],
  );
  return BigInt(rows[0]?.position ?? '0');
}

/** The stored position, `0n` when the consumer never ran. */
export async function readCheckpoint(db: Db, name: string): Promise<bigint> {
  const { rows } = await db.query<{ position: string }>(
    'SELECT position FROM consumer_checkpoints WHERE name = $1',
    [name],
  );
  return BigInt(rows[0]?.position ?? '0');
}

/**
 * Moves the checkpoint from `expected` to `next`. False when the stored position is no
 * longer `expected`: another instance moved it, so this one is not (or no longer) the leader.
 * Inside a transaction the row lock makes a concurrent mover wait, then see the new value.
 */
export async function compareAndSetCheckpoint(
  db: Db,
  name: string,
  expected: bigint,
  next: bigint,
): Promise<boolean> {
  const result = await db.query({
    name: 'consumer_checkpoint_cas',
    text: `UPDATE consumer_checkpoints
        SET position = $3, updated_at = now(), retrying_since = NULL
      WHERE name = $1 AND position = $2`,
    values: [name, expected.toString(), next.toString()],
  });
  return result.rowCount === 1;
}

/** Records the leader's state for status readers in other processes. */
export async function saveConsumerState(
  db: Db,
  name: string,
  state: ConsumerState,
  details: { lastError?: string; retryingSince?: Date },
): Promise<void> {
  await db.query(
    `UPDATE consumer_checkpoints
        SET state = $2, last_error = COALESCE($3, last_error), retrying_since = $4
      WHERE name = $1`,
    [name, state, details.lastError ?? null, details.retryingSince ?? null],
  );
}

/**
 * The shared transaction helper, with one consumer-specific twist: a COMMIT that rolled back
 * means a handler caught its own SQL error, which counts as that handler failing.
 */
export async function inTransaction<T>(
  pool: Pool,
  work: (tx: PoolClient) => Promise<T>,
): Promise<T> {
  try {
    return await inSharedTransaction(pool, work);
  } catch (error) {
    if (error instanceof TransactionRolledBack) throw new HandlerError(error);
    throw error;
  }
}
