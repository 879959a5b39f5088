import {
  DatabaseError,
  type Pool,
  type PoolClient,
  type QueryConfig,
  type QueryResult,
  type QueryResultRow,
} from 'pg';

/** The transaction's COMMIT rolled back: an SQL error inside it was caught and swallowed. */
export class TransactionRolledBack extends Error {
  override readonly name = 'TransactionRolledBack';
  constructor() {
    super('an SQL error aborted the transaction; it was rolled back');
  }
}

/**
 * Runs `work` in one transaction on a pooled connection: commit when it resolves, roll back
 * when it throws. PostgreSQL answers the COMMIT of an aborted transaction with ROLLBACK
 * instead of an error, so work that caught its own SQL error gets `TransactionRolledBack`
 * rather than a silent loss. A connection whose rollback fails is discarded, not reused.
 */
export async function inTransaction<T>(
  pool: Pool,
  work: (tx: PoolClient) => Promise<T>,
): Promise<T> {
  const tx = await pool.connect();
  let broken: Error | undefined;
  try {
    return await transactionOn(tx, work, (rollbackError) => (broken = rollbackError));
  } finally {
    tx.release(broken);
  }
}

/**
 * `inTransaction` on a connection the caller holds (one with session state of its own, say).
 * A failed rollback goes to `onRollbackFailed`; the work's error is what throws.
 */
export async function transactionOn<T>(
  tx: PoolClient,
  work: (tx: PoolClient) => Promise<T>,
  onRollbackFailed: (error: Error) => void = () => undefined,
): Promise<T> {
  try {
    await tx.query('BEGIN');
    const result = await work(tx);
    const commit = await tx.query('COMMIT');
    if (commit.command === 'ROLLBACK') throw new TransactionRolledBack();
    return result;
  } catch (error) {
    await tx.query('ROLLBACK').catch(onRollbackFailed);
    throw error;
  }
}

/**
 * `pool.query` that keeps its connection after an error the server reported for the
 * statement alone. pg-pool's own `pool.query` closes the connection after ANY error, and an
 * append's unique violation is part of its protocol: it is how a conflict with another
 * writer shows. In the split topology (fulfilment and inventory appending to the same
 * product streams from two processes) that closed about 135 connections a second, each
 * replaced by a new server process: most of PostgreSQL's CPU per order there. Any other
 * failure (the connection itself) still discards the connection; one the server closed is
 * dropped by the pool either way.
 */
export async function queryKeepingConnection<R extends QueryResultRow>(
  pool: Pool,
  query: QueryConfig,
): Promise<QueryResult<R>> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await client.query<R>(query);
  } catch (error) {
    if (!(error instanceof DatabaseError)) broken = error as Error;
    throw error;
  } finally {
    client.release(broken);
  }
}
