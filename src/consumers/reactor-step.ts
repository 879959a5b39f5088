import type { RecordedEvent } from '../eventstore';
import { inTransaction } from './checkpoints';
import type { ReactorConsumer } from './consumer';
import { heldStreams, parkHeldEvent, parkPoisonEvent } from './dead-letters';
import { callHandler, HandlerError } from './errors';
import { advanceCheckpoint, assertLeader, type StepContext, waitBeforeRetry } from './step';

/**
 * Handles events one at a time and stores the checkpoint after each success (at least
 * once). Events of a held stream are parked unhandled; a handler that keeps failing has its
 * event parked after the last attempt. Parking and the checkpoint move commit together.
 * Returns the new checkpoint.
 */
export async function applyReactorEvents(
  ctx: StepContext,
  consumer: ReactorConsumer,
  events: readonly RecordedEvent[],
  checkpoint: bigint,
  upTo: bigint,
): Promise<bigint> {
  const held = await heldStreams(ctx.pool, ctx.name);
  let position = checkpoint;
  for (const event of events) {
    assertLeader(ctx);
    if (ctx.signal.aborted) return position; // stopping: the rest waits for the next start
    const from = position;
    const to = event === events[events.length - 1] ? upTo : event.position;
    const poison = held.get(event.streamName);
    if (poison !== undefined) {
      await inTransaction(ctx.pool, async (tx) => {
        await advanceCheckpoint(ctx, tx, from, to);
        await parkHeldEvent(tx, ctx.name, event, poison);
      });
    } else {
      const failure = await handleWithRetries(ctx, consumer, event);
      if (failure) {
        await inTransaction(ctx.pool, async (tx) => {
          await advanceCheckpoint(ctx, tx, from, to);
          await parkPoisonEvent(tx, ctx.name, event, failure.error, failure.attempts);
        });
        held.set(event.streamName, event.position);
        ctx.onParked(event, failure.error, failure.attempts);
      } else {
        await advanceCheckpoint(ctx, ctx.pool, from, to);
      }
    }
    position = to;
    ctx.onProgress(position);
  }
  return position;
}

/** Undefined when the handler succeeded; the last error after the final attempt otherwise. */
async function handleWithRetries(
  ctx: StepContext,
  consumer: ReactorConsumer,
  event: RecordedEvent,
): Promise<{ error: HandlerError; attempts: number } | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await callHandler(() => consumer.handle(event));
      return undefined;
    } catch (error) {
      if (!(error instanceof HandlerError)) throw error;
      if (attempt >= ctx.retry.attempts) return { error, attempts: attempt };
      await waitBeforeRetry(ctx, event, error, attempt);
    }
  }
}
