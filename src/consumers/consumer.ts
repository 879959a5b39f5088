import type { PoolClient } from 'pg';
import type { EventFilter, RecordedEvent } from '../eventstore';

/**
 * A read model builder. The runner calls `handle` inside its own PostgreSQL transaction and
 * commits the rows it writes together with the consumer's checkpoint, so a crash never
 * applies an event twice or loses one. Write through `tx` only and never commit or roll back.
 */
export interface ProjectionConsumer {
  kind: 'projection';
  /** Unique across the system: names the checkpoint, the leadership lock and dead letters. */
  name: string;
  filter?: EventFilter;
  /** Most events per transaction while catching up (default 500). */
  batchSize?: number;
  /** Applies the events, in global order. Throwing rolls back the whole batch. */
  handle(events: readonly RecordedEvent[], tx: PoolClient): Promise<void>;
  /**
   * Optional: the same writes as `handle`, as ONE statement (see `BatchStatement`). The runner
   * then sends a batch as that statement with the checkpoint's compare-and-set folded in: one
   * round trip that commits on its own, instead of BEGIN, the compare-and-set, each of
   * `handle`'s statements and COMMIT, each waiting its turn on a busy event loop. `handle`
   * stays the way for the rest (an event retried alone, streams held by a parked event), so
   * the projection builds it from this with `handleWithStatement`, or writes the same rows.
   * A projection that can write only some batches as one statement returns
   * `NOT_ONE_STATEMENT` for the others: those go through `handle` in a transaction.
   */
  batchStatement?(
    events: readonly RecordedEvent[],
  ): BatchStatement | undefined | typeof NOT_ONE_STATEMENT;
}

/** `batchStatement`'s answer for a batch it does not write as one statement. */
export const NOT_ONE_STATEMENT = Symbol('not one statement');

/**
 * A projection's batch as data-modifying common table expressions (`a AS (INSERT ...), b AS
 * (UPDATE ...)`) with their parameters, `$1` onwards. They run in one statement, so they
 * share one snapshot: none sees the rows another writes (fold the batch before writing).
 * `checkpoint` is the runner's name: a projection's expressions take any other. Keep `ctes`
 * one constant text with the data in `values`: each distinct text is prepared on every pooled
 * connection and kept there.
 */
export interface BatchStatement {
  ctes: string;
  values: unknown[];
}

/**
 * A process manager or integration step: appends to the event store or calls out. Each
 * event is handled alone; the checkpoint is stored behind the events done, so delivery is at
 * least once: a crash replays the events after it, and handlers must be idempotent
 * (deterministic event ids on append, idempotency keys on calls).
 */
export interface ReactorConsumer {
  kind: 'reactor';
  name: string;
  filter?: EventFilter;
  /** Most events read at once (default 500); they are still handled one by one. */
  batchSize?: number;
  /**
   * Events handled at once, never two of one stream (default 1: one at a time, in global
   * order). Above 1, events of different streams may be handled in any order.
   */
  concurrency?: number;
  handle(event: RecordedEvent): Promise<void>;
}

export type Consumer = ProjectionConsumer | ReactorConsumer;
export type ConsumerKind = Consumer['kind'];

export type ConsumerState =
  'starting' | 'standby' | 'catching_up' | 'live' | 'retrying' | 'stopped';

export interface ConsumerStatus {
  name: string;
  kind: ConsumerKind;
  state: ConsumerState;
  /**
   * Where the consumer resumes: the position of the last event done (handled or parked) or,
   * after a read that skipped events (filtered out or gaps), past them. `0n` before any.
   */
  checkpoint: bigint;
  headPosition: bigint;
  /** Matching events after the checkpoint, counted up to a cap (positions are not dense). */
  lag: number;
  parkedCount: number;
  lastError?: string;
  /** Retrying one event, or leading with work pending and no progress, for too long. */
  stuck: boolean;
}

/** How a failing handler is retried before its event is parked. */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 5). */
  attempts: number;
  /** Delay after the first failure; doubles each time, with jitter (default 200 ms). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 30_000,
};

/** The subset of a pino logger the consumers use. */
export interface ConsumerLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export const silentLogger: ConsumerLogger = { info() {}, warn() {}, error() {} };
