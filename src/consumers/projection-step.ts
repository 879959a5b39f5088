import { DatabaseError, type PoolClient } from 'pg';
import type { RecordedEvent } from '../eventstore';
import { runFencedStatement } from './batch-statement';
import { inTransaction } from './checkpoints';
import { NOT_ONE_STATEMENT, type BatchStatement, type ProjectionConsumer } from './consumer';
import { heldStreams, lockDeadLetters, parkHeldEvent, parkPoisonEvent } from './dead-letters';
import { callHandler, HandlerError } from './errors';
import { advanceCheckpoint, assertLeader, type StepContext, waitBeforeRetry } from './step';

/**
 * Applies a batch in one transaction: the handler's writes, the parking of events whose
 * stream is held, and the checkpoint's compare-and-set commit together or not at all (for a
 * projection with a `batchStatement` and no parked events: in one statement). When
 * the handler throws, the batch is rolled back and replayed event by event to find the
 * poison event, each event in its own transaction. The checkpoint moves to `upTo` (the read's
 * next position: at or past the last event) and is returned.
 */
export async function applyProjectionBatch(
  ctx: StepContext,
  consumer: ProjectionConsumer,
  events: readonly RecordedEvent[],
  checkpoint: bigint,
  upTo: bigint,
): Promise<bigint> {
  const last = events[events.length - 1];
  if (!last) return checkpoint;
  const asOne =
    consumer.batchStatement && !ctx.mayHaveParked()
      ? await applyAsOneStatement(ctx, consumer, events, checkpoint, upTo)
      : 'not_one_statement';
  if (asOne === 'committed') {
    ctx.onProgress(upTo);
    return upTo;
  }
  if (asOne === 'not_one_statement' && events.length > 1) {
    try {
      await inTransaction(ctx.pool, async (tx) => {
        await advanceCheckpoint(ctx, tx, checkpoint, upTo);
        const handled = await parkHeld(ctx, tx, events);
        if (handled.length > 0) await callHandler(() => consumer.handle(handled, tx));
        assertLeader(ctx);
      });
      ctx.onProgress(upTo);
      return upTo;
    } catch (error) {
      if (!(error instanceof HandlerError)) throw error;
    }
  }
  let position = checkpoint;
  for (const event of events) {
    const target = event === last ? upTo : event.position;
    position = await applyProjectionEvent(ctx, consumer, event, position, target);
  }
  return position;
}

/**
 * The batch as the projection's one statement with the checkpoint's move: `committed`, or
 * `not_one_statement` when the projection writes this batch through `handle` instead.
 * `refused` when building the statement threw or the server refused it (a fault of the
 * projection's, as a throw from `handle` is): nothing was written, and the batch goes event
 * by event through `handle`, which finds the poison event. Losing the checkpoint and any
 * other failure (the connection) throw.
 */
async function applyAsOneStatement(
  ctx: StepContext,
  consumer: ProjectionConsumer,
  events: readonly RecordedEvent[],
  checkpoint: bigint,
  upTo: bigint,
): Promise<'committed' | 'refused' | 'not_one_statement'> {
  let statement: BatchStatement | undefined | typeof NOT_ONE_STATEMENT;
  try {
    statement = consumer.batchStatement?.(events);
  } catch {
    return 'refused';
  }
  if (statement === NOT_ONE_STATEMENT) return 'not_one_statement';
  assertLeader(ctx);
  try {
    await runFencedStatement(ctx.pool, ctx.name, statement, checkpoint, upTo);
    return 'committed';
  } catch (error) {
    if (error instanceof DatabaseError) return 'refused';
    throw error;
  }
}

/** One event with retries; after the last attempt it is parked. Returns `target`. */
async function applyProjectionEvent(
  ctx: StepContext,
  consumer: ProjectionConsumer,
  event: RecordedEvent,
  checkpoint: bigint,
  target: bigint,
): Promise<bigint> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await inTransaction(ctx.pool, async (tx) => {
        await advanceCheckpoint(ctx, tx, checkpoint, target);
        const handled = await parkHeld(ctx, tx, [event]);
        if (handled.length > 0) await callHandler(() => consumer.handle(handled, tx));
        assertLeader(ctx);
      });
      ctx.onProgress(target);
      return target;
    } catch (error) {
      if (!(error instanceof HandlerError)) throw error;
      if (attempt < ctx.retry.attempts) {
        await waitBeforeRetry(ctx, event, error, attempt);
        continue;
      }
      await inTransaction(ctx.pool, async (tx) => {
        await advanceCheckpoint(ctx, tx, checkpoint, target);
        await lockDeadLetters(tx, ctx.name, false);
        await parkPoisonEvent(tx, ctx.name, event, error, attempt);
        assertLeader(ctx);
      });
      ctx.onParked(event, error, attempt);
      ctx.onProgress(target);
      return target;
    }
  }
}

/** Parks the events of held streams (in this transaction) and returns the others. */
async function parkHeld(
  ctx: StepContext,
  tx: PoolClient,
  events: readonly RecordedEvent[],
): Promise<readonly RecordedEvent[]> {
  if (!ctx.mayHaveParked()) return events;
  await lockDeadLetters(tx, ctx.name, false);
  const held = await heldStreams(tx, ctx.name);
  const handled: RecordedEvent[] = [];
  for (const event of events) {
    const poison = held.get(event.streamName);
    if (poison === undefined) handled.push(event);
    else await parkHeldEvent(tx, ctx.name, event, poison);
  }
  return handled;
}
