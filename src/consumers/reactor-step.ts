import type { EventStore, RecordedEvent } from '../eventstore';
import { sleep, untilAborted } from './backoff';
import { inTransaction } from './checkpoints';
import type { ConsumerState, ReactorConsumer } from './consumer';
import { heldStreams, parkHeldEvent, parkPoisonEvent } from './dead-letters';
import { callHandler, HandlerError, LostLeadershipError } from './errors';
import { advanceCheckpoint, assertLeader, type StepContext, waitBeforeRetry } from './step';

export interface ReactorLoopOptions {
  store: EventStore;
  consumer: ReactorConsumer;
  /** Longest wait for new events when there are none. */
  pollMs: number;
  /** Least time between two checkpoint writes (default 100 ms). */
  checkpointIntervalMs?: number;
  /** Least time between two reads (default 0). */
  minReadIntervalMs?: number;
  setState(state: ConsumerState): void;
  /** Called when every event read is done and there is nothing new to read. */
  onIdle(): void;
}

/**
 * Runs a reactor for one leadership term, from `checkpoint` until stopped.
 *
 * Reads ahead while handlers run and hands events out in global order to at most
 * `consumer.concurrency` handlers at once (default 1), never two of one stream at once: each
 * stream's events are handled in order, one after the other. With a concurrency of 1 the
 * events are handled in global order.
 *
 * The checkpoint is the low-water mark: the position below which every event is done
 * (handled or parked). It is written at most every `checkpointIntervalMs`, so a crash
 * replays the events after it (at-least-once; handlers are idempotent). A handler that keeps
 * failing has its event parked after the last attempt, and its stream is held: the stream's
 * later events are parked unhandled while the other streams flow.
 */
export async function runReactor(
  ctx: StepContext,
  options: ReactorLoopOptions,
  checkpoint: bigint,
): Promise<bigint> {
  return new ReactorLoop(ctx, options, checkpoint).run();
}

interface Dispatched {
  position: bigint;
  done: boolean;
}

class ReactorLoop {
  private readonly concurrency: number;
  private readonly batchSize: number;
  /** Events read but not yet done: never more than this many. */
  private readonly window: number;
  private readonly checkpointIntervalMs: number;
  private readonly slots: Slots;
  /** Dispatched events in global order; `head` indexes the oldest one not yet done. */
  private queue: Dispatched[] = [];
  private head = 0;
  /** The tail of each stream's chain of handlers. */
  private readonly lanes = new Map<string, { done: Promise<void> }>();
  private held = new Map<string, bigint>();
  /** Where the next read starts: past every event read (and every one it skipped). */
  private readFrom: bigint;
  /** Every matching event at or below this position is done. */
  private doneTo: bigint;
  private saved: bigint;
  private saving: Promise<void> | undefined;
  private saveTimer: NodeJS.Timeout | undefined;
  private lastSaveAt = 0;
  private lastReadAt = 0;
  /** The first failure other than a handler's: ends the term once in-flight work settles. */
  private failure: { error: unknown } | undefined;
  private progressed: (() => void) | undefined;
  private closing = false;

  constructor(
    private readonly ctx: StepContext,
    private readonly o: ReactorLoopOptions,
    checkpoint: bigint,
  ) {
    this.concurrency = Math.max(1, Math.floor(o.consumer.concurrency ?? 1));
    this.batchSize = o.consumer.batchSize ?? 500;
    this.window = Math.max(this.batchSize, this.concurrency * 8);
    this.checkpointIntervalMs = o.checkpointIntervalMs ?? 100;
    this.slots = new Slots(this.concurrency);
    this.readFrom = checkpoint;
    this.doneTo = checkpoint;
    this.saved = checkpoint;
  }

  async run(): Promise<bigint> {
    const { ctx, o } = this;
    try {
      while (!ctx.signal.aborted && !this.failure) {
        assertLeader(ctx);
        const room = this.window - this.inFlight();
        if (room <= 0) {
          await this.nextProgress();
          continue;
        }
        const hold = this.lastReadAt + (o.minReadIntervalMs ?? 0) - Date.now();
        if (hold > 0) await sleep(hold, ctx.signal);
        this.lastReadAt = Date.now();
        const { events, nextPosition } = await o.store.readPage({
          fromPosition: this.readFrom,
          maxCount: Math.min(this.batchSize, room),
          filter: o.consumer.filter,
        });
        if (events.length > 0) {
          if (ctx.mayHaveParked()) this.held = await heldStreams(ctx.pool, ctx.name);
          for (const event of events) this.dispatch(event);
        }
        if (nextPosition > this.readFrom) this.readFrom = nextPosition;
        this.advance();
        if (events.length >= Math.min(this.batchSize, room)) {
          o.setState('catching_up');
        } else {
          o.setState('live');
          if (this.inFlight() === 0) o.onIdle();
          await untilAborted(o.store.waitForAppend(this.readFrom, o.pollMs), ctx.signal);
        }
      }
    } catch (error) {
      this.failure ??= { error };
    }
    await Promise.all([...this.lanes.values()].map((lane) => lane.done));
    this.closing = true; // no more scheduled writes: the last one is below
    this.advance();
    clearTimeout(this.saveTimer);
    await this.saving;
    if (!ctx.leadershipLost() && !(this.failure?.error instanceof LostLeadershipError)) {
      await this.save().catch((error: unknown) => {
        this.failure ??= { error };
      });
    }
    if (this.failure) throw this.failure.error;
    return this.saved;
  }

  private inFlight(): number {
    return this.queue.length - this.head;
  }

  /** Resolves when an event is done or the term ends. */
  private nextProgress(): Promise<void> {
    return untilAborted(
      new Promise<void>((resolve) => {
        this.progressed = resolve;
      }),
      this.ctx.signal,
    );
  }

  private notify(): void {
    const wake = this.progressed;
    this.progressed = undefined;
    wake?.();
  }

  private dispatch(event: RecordedEvent): void {
    const entry: Dispatched = { position: event.position, done: false };
    this.queue.push(entry);
    const slot = this.slots.acquire(); // in global order: with one slot, events run in order
    const before = this.lanes.get(event.streamName)?.done;
    const lane = { done: Promise.resolve() };
    lane.done = (async () => {
      await slot;
      try {
        if (before) await before;
        if (this.failure || this.ctx.signal.aborted) return;
        await this.handle(event);
        entry.done = true;
      } catch (error) {
        this.failure ??= { error };
      } finally {
        this.slots.release();
        if (this.lanes.get(event.streamName) === lane) this.lanes.delete(event.streamName);
        this.advance();
        this.notify();
      }
    })();
    this.lanes.set(event.streamName, lane);
  }

  /** Handles one event, or parks it: behind its stream's poison event, or as poison itself. */
  private async handle(event: RecordedEvent): Promise<void> {
    const { ctx } = this;
    const poison = this.held.get(event.streamName);
    if (poison !== undefined && event.position >= poison) {
      await inTransaction(ctx.pool, async (tx) => {
        assertLeader(ctx);
        await parkHeldEvent(tx, ctx.name, event, poison);
      });
      return;
    }
    const failure = await handleWithRetries(ctx, this.o.consumer, event);
    if (!failure) return;
    await inTransaction(ctx.pool, async (tx) => {
      assertLeader(ctx);
      await parkPoisonEvent(tx, ctx.name, event, failure.error, failure.attempts);
    });
    this.held.set(event.streamName, event.position);
    ctx.onParked(event, failure.error, failure.attempts);
  }

  /** Moves the low-water mark past the events done, and schedules a checkpoint write. */
  private advance(): void {
    while (this.head < this.queue.length && this.queue[this.head]!.done) {
      this.doneTo = this.queue[this.head]!.position;
      this.head += 1;
    }
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      if (this.readFrom > this.doneTo) this.doneTo = this.readFrom;
    } else if (this.head > 1024) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.scheduleSave();
  }

  private scheduleSave(): void {
    if (this.closing || this.failure || this.saving || this.saveTimer) return;
    if (this.doneTo <= this.saved) return;
    const wait = this.lastSaveAt + this.checkpointIntervalMs - Date.now();
    if (wait > 0) {
      this.saveTimer = setTimeout(() => {
        this.saveTimer = undefined;
        this.scheduleSave();
      }, wait);
      return;
    }
    this.saving = this.save()
      .catch((error: unknown) => {
        this.failure ??= { error };
        this.notify();
      })
      .finally(() => {
        this.saving = undefined;
        this.scheduleSave();
      });
  }

  private async save(): Promise<void> {
    const target = this.doneTo;
    if (target <= this.saved) return;
    await advanceCheckpoint(this.ctx, this.ctx.pool, this.saved, target);
    this.saved = target;
    this.lastSaveAt = Date.now();
    this.ctx.onProgress(target);
  }
}

/** A counting semaphore that grants slots in the order they were asked for. */
class Slots {
  private free: number;
  private readonly waiting: (() => void)[] = [];

  constructor(size: number) {
    this.free = size;
  }

  acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
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
