import { DatabaseError, type Pool, type PoolClient } from 'pg';
import type { RecordedEvent } from '../eventstore';
import { queryKeepingConnection } from '../infra/transaction';
import type { BatchStatement } from './consumer';
import { LostLeadershipError } from './errors';
import { CHECKPOINT_MOVED } from './schema';

/** A `handle` for a projection that writes its batches as one statement. */
export function handleWithStatement(
  build: (events: readonly RecordedEvent[]) => BatchStatement | undefined,
): (events: readonly RecordedEvent[], tx: PoolClient) => Promise<void> {
  return async (events, tx) => {
    const statement = build(events);
    if (statement) await tx.query(`WITH ${statement.ctes} SELECT 1`, statement.values);
  };
}

// Each distinct text is prepared once per connection, under a name of its own: PostgreSQL
// then parses it once, and plans it once when it settles on a generic plan, instead of for
// every batch. A projection's CTEs are a constant text, so there is one name per projection
// (and one for the checkpoint alone).
const preparedNames = new Map<string, string>();
function preparedName(text: string): string {
  let name = preparedNames.get(text);
  if (name === undefined) {
    name = `fenced_batch_${preparedNames.size + 1}`;
    preparedNames.set(text, name);
  }
  return name;
}

/**
 * Runs a projection's batch statement (or none: a batch with nothing to write) with the
 * checkpoint's compare-and-set from `from` to `to` folded in, as one statement, which
 * PostgreSQL commits on its own. When the compare-and-set finds the position moved,
 * `consumer_checkpoint_moved` raises and the whole statement, the projection's rows with it,
 * is rolled back: this throws `LostLeadershipError`, as the transaction path does.
 *
 * The connection stays in the pool after an error the server reported for the statement
 * (`queryKeepingConnection`).
 */
export async function runFencedStatement(
  pool: Pool,
  name: string,
  statement: BatchStatement | undefined,
  from: bigint,
  to: bigint,
): Promise<void> {
  const values = [...(statement?.values ?? []), name, from.toString(), to.toString()];
  const n = values.length;
  const text = `WITH ${statement ? `${statement.ctes},` : ''}
  checkpoint AS (
    UPDATE consumer_checkpoints SET position = $${n}, updated_at = now(), retrying_since = NULL
     WHERE name = $${n - 2} AND position = $${n - 1}
    RETURNING 1)
SELECT CASE WHEN EXISTS (SELECT FROM checkpoint) THEN true
            ELSE consumer_checkpoint_moved($${n - 2}) END`;
  try {
    await queryKeepingConnection(pool, { name: preparedName(text), text, values });
  } catch (error) {
    if (error instanceof DatabaseError && error.code === CHECKPOINT_MOVED) {
      throw new LostLeadershipError(error.message);
    }
    throw error;
  }
}
