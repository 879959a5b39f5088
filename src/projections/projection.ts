import { isLeft } from 'fp-ts/Either';
import type * as t from 'io-ts';
import { inTransaction } from '../infra/transaction';
import type { Pool } from 'pg';
import type { ProjectionConsumer } from '../consumers';
import type { RecordedEvent } from '../eventstore';
import type { MigrationSet } from '../infra/migrations';

/**
 * A read model: the consumer that builds it (name, filter, `handle`), the migrations that
 * create its tables, and the tables a rebuild empties before replaying from position zero.
 * Every value a row holds comes from the events (times from `data.at`, never `now()`), so
 * a replay writes the same rows again.
 */
export interface ProjectionDefinition extends ProjectionConsumer {
  migrations: MigrationSet;
  tables: readonly string[];
}

/**
 * The stored event as its codec's type. A payload the codec refuses is a poison event: the
 * throw rolls the batch back and the runner retries, then parks it (its stream is held).
 */
export function decodeRecorded<A>(codec: t.Decoder<unknown, A>, event: RecordedEvent): A {
  const decoded = codec.decode({ type: event.type, data: event.data });
  if (isLeft(decoded)) {
    throw new Error(`undecodable ${event.type} at position ${String(event.position)}`);
  }
  return decoded.right;
}

/**
 * Empties the projection's tables, its dead letters and its checkpoint in one transaction, so
 * its runner replays every event from the start. Stop the projection's runner first (a
 * running leader would otherwise find its checkpoint moved, stand down and then replay too,
 * but with a batch possibly in between).
 */
export async function resetProjection(pool: Pool, projection: ProjectionDefinition): Promise<void> {
  await inTransaction(pool, async (client) => {
    // Table names are the projection's own constants, never input.
    await client.query(`TRUNCATE ${projection.tables.join(', ')}`);
    await client.query('DELETE FROM consumer_dead_letters WHERE consumer_name = $1', [
      projection.name,
    ]);
    await client.query(
      `UPDATE consumer_checkpoints SET position = 0, updated_at = now(), state = NULL,
              last_error = NULL, retrying_since = NULL
        WHERE name = $1`,
      [projection.name],
    );
  });
}
