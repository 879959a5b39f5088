import type { RecordedEvent } from '../eventstore';
import { sleep, untilAborted } from './backoff';
import { ensureCheckpoint, readCheckpoint, saveConsumerState } from './checkpoints';
import type { Consumer, ConsumerState, ConsumerStatus, ProjectionConsumer } from './consumer';
import { countParked } from './dead-letters';
import { describeError, InterruptedError, LostLeadershipError } from './errors';
import { Leadership } from './leadership';
import { checkpointMoved } from './progress-signal';
import { applyProjectionBatch } from './projection-step';
import { runReactor } from './reactor-step';
import { type ConsumerRunnerOptions, type ResolvedOptions, resolveOptions } from './runner-options';
import { advanceCheckpoint, type StepContext } from './step';

const PERSISTED: readonly ConsumerState[] = ['catching_up', 'live', 'retrying', 'stopped'];

/**
 * Runs one consumer: waits for leadership of its name, resumes from the stored checkpoint,
 * reads in batches of up to `batchSize` while catching up and whatever arrived since the
 * last read when live, and hands the events to the projection or reactor step.
 */
export class ConsumerRunner {
  readonly name: string;
  private readonly o: ResolvedOptions;
  private readonly leadership: Leadership;
  private currentState: ConsumerState = 'stopped';
  private checkpoint: bigint | undefined;
  private lastError: string | undefined;
  private retryingSince: number | undefined;
  /** Failures in a row other than a handler's: they space out the next attempts. */
  private failures = 0;
  private lastProgressAt = Date.now();
  private stopController: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private stateWrites: Promise<void> = Promise.resolve();

  constructor(options: ConsumerRunnerOptions) {
    this.name = options.consumer.name;
    this.o = resolveOptions(options);
    this.leadership = new Leadership(this.o.lockConnection, this.name, this.o.heartbeatMs);
  }

  get state(): ConsumerState {
    return this.currentState;
  }

  get kind(): Consumer['kind'] {
    return this.o.consumer.kind;
  }

  /** Starts competing for leadership in the background. */
  start(): void {
    if (this.loop) return;
    const stop = new AbortController();
    this.stopController = stop;
    this.setState('starting');
    this.loop = this.run(stop.signal);
  }

  /** Lets the in-flight batch finish, releases the lock and closes its connection. */
  async stop(): Promise<void> {
    this.stopController?.abort();
    await this.loop;
    this.loop = undefined;
  }

  async status(options: { lagCap?: number } = {}): Promise<ConsumerStatus> {
    const { pool, store, consumer } = this.o;
    const leading = this.leadership.held;
    const checkpoint =
      leading && this.checkpoint !== undefined
        ? this.checkpoint
        : await readCheckpoint(pool, this.name);
    const [headPosition, lag, parkedCount] = await Promise.all([
      store.headPosition(),
      this.o.countLag(checkpoint, consumer.filter, options.lagCap ?? this.o.lagCap),
      countParked(pool, this.name),
    ]);
    const now = Date.now();
    const limit = this.o.stuckAfterMs;
    const stuck =
      (this.currentState === 'retrying' &&
        this.retryingSince !== undefined &&
        now - this.retryingSince > limit) ||
      (leading && lag > 0 && now - this.lastProgressAt > limit);
    return {
      name: this.name,
      kind: consumer.kind,
      state: this.currentState,
      checkpoint,
      headPosition,
      lag,
      parkedCount,
      ...(this.lastError !== undefined && { lastError: this.lastError }),
      stuck,
    };
  }

  private async run(stop: AbortSignal): Promise<void> {
    const { logger, acquireRetryMs } = this.o;
    try {
      while (!stop.aborted) {
        const term = new AbortController();
        const endTerm = (): void => term.abort();
        stop.addEventListener('abort', endTerm, { once: true });
        let lost = false;
        try {
          const acquired = await this.leadership.tryAcquire(() => {
            lost = true;
            logger.warn({ consumer: this.name }, 'consumer lock connection lost: standing by');
            term.abort();
          });
          if (!acquired) {
            this.setState('standby');
            await sleep(acquireRetryMs, stop);
            continue;
          }
          logger.info({ consumer: this.name }, 'consumer is leader');
          await this.lead(term.signal, () => lost);
        } catch (error) {
          if (error instanceof LostLeadershipError) {
            lost = true;
            logger.warn({ consumer: this.name, reason: error.message }, 'consumer deposed');
          } else if (!(error instanceof InterruptedError)) {
            this.failures += 1;
            this.lastError = describeError(error).message;
            logger.error({ consumer: this.name, err: error }, 'consumer failed: will retry');
          }
        } finally {
          stop.removeEventListener('abort', endTerm);
        }
        if (stop.aborted) break;
        if (lost || !this.leadership.held) {
          await this.leadership.release();
          this.setState('standby');
          await sleep(acquireRetryMs, stop);
        } else {
          await sleep(Math.min(30_000, acquireRetryMs * 2 ** Math.min(this.failures, 6)), stop);
        }
      }
    } finally {
      if (this.leadership.held) this.setState('stopped');
      await this.stateWrites;
      await this.leadership.release();
      this.setState('stopped');
    }
  }

  /** One leadership term: returns when stopped, throws when deposed or on failure. */
  private async lead(signal: AbortSignal, lost: () => boolean): Promise<void> {
    const { consumer, store, pool } = this.o;
    const checkpoint = await ensureCheckpoint(pool, consumer);
    let parked = (await countParked(pool, this.name)) > 0;
    this.checkpoint = checkpoint;
    this.lastProgressAt = Date.now();
    this.setState('catching_up');
    let batchState: ConsumerState = 'catching_up';
    const ctx: StepContext = {
      pool,
      name: this.name,
      retry: this.o.retry,
      signal,
      leadershipLost: lost,
      mayHaveParked: () => parked,
      onRetrying: (event, error, attempt) => this.onRetrying(event, error, attempt),
      onParked: (event, error, attempts) => {
        parked = true;
        this.lastError = describeError(error).message;
        this.o.logger.error(
          { consumer: this.name, position: String(event.position), eventId: event.id, attempts },
          'event parked after its last attempt: its stream is held',
        );
      },
      onProgress: (position) => {
        checkpointMoved(pool, this.name, position);
        this.checkpoint = position;
        this.lastProgressAt = Date.now();
        this.retryingSince = undefined;
        this.failures = 0;
        this.setState(batchState);
      },
    };
    if (consumer.kind === 'reactor') {
      await runReactor(
        ctx,
        {
          store,
          consumer,
          pollMs: this.o.pollMs,
          checkpointIntervalMs: this.o.checkpointIntervalMs,
          minReadIntervalMs: this.o.minReadIntervalMs,
          setState: (state) => {
            batchState = state;
            this.setState(state);
          },
          onIdle: () => (this.lastProgressAt = Date.now()),
        },
        checkpoint,
      );
    } else {
      await this.project(ctx, consumer, checkpoint, (state) => (batchState = state));
    }
    if (lost()) throw new LostLeadershipError('lock connection lost');
  }

  /** The projection loop: one transaction per batch, the checkpoint moved inside it. */
  private async project(
    ctx: StepContext,
    consumer: ProjectionConsumer,
    from: bigint,
    setBatchState: (state: ConsumerState) => void,
  ): Promise<void> {
    const { store, pool, pollMs, checkpointIntervalMs, minReadIntervalMs } = this.o;
    const batchSize = consumer.batchSize ?? 500;
    let checkpoint = from;
    // Reads start past what was skipped even before that move is stored: the events between
    // the checkpoint and here matched nothing, so a batch moves the checkpoint over them.
    let readFrom = from;
    let skipSavedAt = 0;
    let readAt = 0;
    while (!ctx.signal.aborted) {
      const hold = readAt + minReadIntervalMs - Date.now();
      if (hold > 0) await sleep(hold, ctx.signal);
      readAt = Date.now();
      const { events, nextPosition } = await store.readPage({
        fromPosition: readFrom,
        maxCount: batchSize,
        filter: consumer.filter,
      });
      if (events.length === 0) {
        if (nextPosition > readFrom) readFrom = nextPosition;
        this.lastProgressAt = Date.now();
        setBatchState('live');
        this.setState('live');
        let wait = pollMs;
        // A filtered consumer stores the move past events it skipped, at most every
        // `checkpointIntervalMs`: on a busy database every read skips something.
        if (consumer.filter && nextPosition > checkpoint) {
          const due = skipSavedAt + checkpointIntervalMs - Date.now();
          if (due <= 0) {
            await advanceCheckpoint(ctx, pool, checkpoint, nextPosition);
            ctx.onProgress(nextPosition);
            checkpoint = nextPosition;
            skipSavedAt = Date.now();
          } else {
            wait = Math.min(wait, due);
          }
        }
        await untilAborted(store.waitForAppend(nextPosition, wait), ctx.signal);
        continue;
      }
      const state: ConsumerState = events.length >= batchSize ? 'catching_up' : 'live';
      setBatchState(state);
      this.setState(state);
      checkpoint = await applyProjectionBatch(ctx, consumer, events, checkpoint, nextPosition);
      readFrom = checkpoint;
    }
  }

  private onRetrying(event: RecordedEvent, error: unknown, attempt: number): void {
    this.lastError = describeError(error).message;
    this.retryingSince ??= Date.now();
    this.o.logger.warn(
      { consumer: this.name, position: String(event.position), eventId: event.id, attempt },
      `handler failed: retrying (${this.lastError})`,
    );
    this.setState('retrying');
  }

  private setState(state: ConsumerState): void {
    if (state === this.currentState) return;
    this.currentState = state;
    if (!this.leadership.held || !PERSISTED.includes(state)) return;
    const details = {
      ...(this.lastError !== undefined && { lastError: this.lastError }),
      ...(state === 'retrying' &&
        this.retryingSince !== undefined && {
          retryingSince: new Date(this.retryingSince),
        }),
    };
    this.stateWrites = this.stateWrites
      .then(() => saveConsumerState(this.o.pool, this.name, state, details))
      .catch((error: unknown) =>
        this.o.logger.warn({ consumer: this.name, err: error }, 'could not record consumer state'),
      );
  }
}

export type { ConsumerRunnerOptions };

export function createConsumerRunner(options: ConsumerRunnerOptions): ConsumerRunner {
  return new ConsumerRunner(options);
}
