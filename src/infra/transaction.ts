import type { Pool, PoolClient } from 'pg';

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
    await tx.query('BEGIN');
    const result = await work(tx);
    const commit = await tx.query('COMMIT');
    if (commit.command === 'ROLLBACK') throw new TransactionRolledBack();
    return result;
  } catch (error) {
    await tx.query('ROLLBACK').catch((rollbackError: Error) => {
      broken = rollbackError;
    });
    throw error;
  } finally {
    tx.release(broken);
  }
}
