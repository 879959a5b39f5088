import type { Pool } from 'pg';
import type { EventStore, RecordedEvent } from '../eventstore';
import { inTransaction } from './checkpoints';
import type { Consumer } from './consumer';
import { heldStreams, lockDeadLetters, type ParkedRow, toParkedEvent } from './dead-letters';
import { callHandler, describeError, HandlerError } from './errors';

export interface RetryParkedOptions {
  pool: Pool;
  store: EventStore;
  consumer: Consumer;
  /** Only this stream; every held stream of the consumer when absent. */
  streamName?: string;
}

export interface RetriedStream {
  streamName: string;
  /** Parked events handled and removed by this call. */
  retried: number;
  /** True when nothing of the stream is parked any more: its hold is released. */
  released: boolean;
  /** The handler's error when an event failed again; it and the rest stay parked. */
  error?: string;
}

/**
 * Re-runs the consumer's handler on the parked events of each held stream, in position
 * order. Each success removes its event (for a projection, in the same transaction as the
 * handler's writes); the first failure stops that stream, updates the event's error and
 * attempts and makes it the stream's poison event. Events parked while the retry runs are
 * retried too, so a stream reported `released` is really free.
 */
export async function retryParked(options: RetryParkedOptions): Promise<RetriedStream[]> {
  const { pool, consumer } = options;
  const streams = options.streamName
    ? [options.streamName]
    : [...(await heldStreams(pool, consumer.name)).keys()];
  const results: RetriedStream[] = [];
  for (const streamName of streams) results.push(await retryStream(options, streamName));
  return results;
}

async function retryStream(
  options: RetryParkedOptions,
  streamName: string,
): Promise<RetriedStream> {
  const { pool, store, consumer } = options;
  let retried = 0;
  for (;;) {
    const { rows } = await pool.query<ParkedRow>(
      `SELECT * FROM consumer_dead_letters WHERE consumer_name = $1 AND stream_name = $2
        ORDER BY position LIMIT 1`,
      [consumer.name, streamName],
    );
    const parked = rows[0] ? toParkedEvent(rows[0]) : undefined;
    if (!parked) return { streamName, retried, released: true };
    const event = await readEventAt(store, parked.position, parked.eventId);
    const remove = 'DELETE FROM consumer_dead_letters WHERE consumer_name = $1 AND position = $2';
    const key = [consumer.name, parked.position.toString()];
    try {
      if (consumer.kind === 'projection') {
        await inTransaction(pool, async (tx) => {
          await lockDeadLetters(tx, consumer.name, true);
          // Deleting first locks the row: a concurrent retry of the same event waits, then skips.
          if ((await tx.query(remove, key)).rowCount !== 1) return;
          await callHandler(() => consumer.handle([event], tx));
        });
      } else {
        await callHandler(() => consumer.handle(event));
        await pool.query(remove, key);
      }
      retried += 1;
    } catch (error) {
      if (!(error instanceof HandlerError)) throw error;
      const { message, stack } = describeError(error);
      await inTransaction(pool, async (tx) => {
        await tx.query(
          `UPDATE consumer_dead_letters
              SET error_message = $3, error_stack = $4, attempts = attempts + 1, held_behind = NULL
            WHERE consumer_name = $1 AND position = $2`,
          [...key, message, stack],
        );
        await tx.query(
          `UPDATE consumer_dead_letters SET held_behind = $2
            WHERE consumer_name = $1 AND stream_name = $3 AND position > $2`,
          [...key, streamName],
        );
      });
      return { streamName, retried, released: false, error: message };
    }
  }
}

/** The event at a global position, through the port (positions are unique, not dense). */
async function readEventAt(
  store: EventStore,
  position: bigint,
  id: string,
): Promise<RecordedEvent> {
  const [event] = await store.readAll({ fromPosition: position - 1n, maxCount: 1 });
  if (!event || event.position !== position || event.id !== id) {
    throw new Error(`Parked event ${id} at position ${position} is not in the event store`);
  }
  return event;
}
