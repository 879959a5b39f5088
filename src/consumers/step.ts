import type { Pool } from 'pg';
import type { RecordedEvent } from '../eventstore';
import { backoffDelay, sleep } from './backoff';
import { compareAndSetCheckpoint } from './checkpoints';
import type { RetryPolicy } from './consumer';
import { InterruptedError, LostLeadershipError } from './errors';

/** What a processing step needs from the runner during one leadership term. */
export interface StepContext {
  pool: Pool;
  name: string;
  retry: RetryPolicy;
  /** Aborts on `stop()` or loss of leadership: cuts retry delays short. */
  signal: AbortSignal;
  /** True once the lock connection is gone: nothing more may be committed. */
  leadershipLost(): boolean;
  /**
   * False while the consumer has no parked event: then no stream is held and batches skip
   * looking. Only the leader parks its consumer's events, so once false at the start of a
   * term it stays false until this term parks one (`retryParked` only removes them).
   */
  mayHaveParked(): boolean;
  onRetrying(event: RecordedEvent, error: unknown, attempt: number): void;
  onParked(event: RecordedEvent, error: unknown, attempts: number): void;
  onProgress(position: bigint): void;
}

type Db = Parameters<typeof compareAndSetCheckpoint>[0];

/**
 * Compare-and-set the checkpoint, or give up leadership (the caller rolls back). Inside a
 * transaction do it first: the row lock then makes a competing instance wait at its own
 * compare-and-set and fail there, before its handler runs.
 */
export async function advanceCheckpoint(
  ctx: StepContext,
  db: Db,
  from: bigint,
  to: bigint,
): Promise<void> {
  assertLeader(ctx);
  if (!(await compareAndSetCheckpoint(db, ctx.name, from, to))) {
    throw new LostLeadershipError(`checkpoint of '${ctx.name}' was moved by another instance`);
  }
}

/** Throws once the lock connection is gone: called again right before a commit. */
export function assertLeader(ctx: StepContext): void {
  if (ctx.leadershipLost()) throw new LostLeadershipError('lock connection lost');
}

/** Sleeps before the next attempt; throws when stopped or deposed meanwhile. */
export async function waitBeforeRetry(
  ctx: StepContext,
  event: RecordedEvent,
  error: unknown,
  attempt: number,
): Promise<void> {
  ctx.onRetrying(event, error, attempt);
  await sleep(backoffDelay(ctx.retry, attempt), ctx.signal);
  assertLeader(ctx);
  if (ctx.signal.aborted) throw new InterruptedError('stopped while retrying');
}
