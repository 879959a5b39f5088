/**
 * The event store port: what the rest of orderflow is written against.
 *
 * Semantics follow EventStoreDB: stream revisions are 0-based, appends are atomic per
 * stream and idempotent by event id, `readAll` and subscriptions deliver events in
 * ascending global position and never skip one. Every adapter passes the conformance
 * suite in `test/eventstore/conformance.ts`.
 */

/** `no_stream`: the stream must not exist; `stream_exists`: it must; a bigint: its last revision. */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | bigint;

export interface NewEvent {
  /** A UUID. Given ids make an append idempotent: the same ids again write nothing. */
  id?: string;
  type: string;
  data: unknown;
  metadata?: Record<string, unknown>;
}

export interface RecordedEvent {
  id: string;
  type: string;
  data: unknown;
  metadata: Record<string, unknown>;
  streamName: string;
  revision: bigint;
  position: bigint;
  createdAt: Date;
}

export interface AppendResult {
  /** The revision of the last event now in the stream. */
  nextRevision: bigint;
  /** The global position of the last event written by the append. */
  position: bigint;
}

/** Matches an event when every given list matches (an absent list matches all). */
export interface EventFilter {
  eventTypes?: string[];
  streamPrefixes?: string[];
}

export interface ReadPage {
  events: RecordedEvent[];
  nextPosition: bigint;
}

export interface Subscription {
  stop(): Promise<void>;
}

export interface EventStore {
  appendToStream(
    stream: string,
    events: readonly NewEvent[],
    options?: { expectedRevision?: ExpectedRevision },
  ): Promise<AppendResult>;
  readStream(
    stream: string,
    options?: { fromRevision?: bigint; maxCount?: number; direction?: 'forwards' | 'backwards' },
  ): Promise<RecordedEvent[]>;
  /** Events with `position > fromPosition` (default: from the start), ascending. */
  readAll(options?: {
    fromPosition?: bigint;
    maxCount?: number;
    filter?: EventFilter;
  }): Promise<RecordedEvent[]>;
  /**
   * `readAll` plus where the next read resumes: the last returned event's position or,
   * when the page is not full, a position past every event the read skipped (filtered out
   * or not there), so a filtered reader never rescans what it has passed.
   */
  readPage(options?: {
    fromPosition?: bigint;
    maxCount?: number;
    filter?: EventFilter;
  }): Promise<ReadPage>;
  /**
   * Catch-up subscription that turns live. The handler sees each matching event once, in
   * global order; the next event waits until the handler's promise settles. A handler that
   * throws stops the subscription (the error goes to `onError` where given).
   */
  subscribeToAll(
    options: {
      fromPosition?: bigint;
      filter?: EventFilter;
      onError?: (error: unknown) => void;
    },
    handler: (event: RecordedEvent) => Promise<void>,
  ): Subscription;
  /**
   * Resolves when events after `afterPosition` may have been appended, or after
   * `timeoutMs`. Lets a consumer that reads in batches sleep between reads without
   * polling hard. Resolving early is allowed; a caller always reads again to find out.
   */
  waitForAppend(afterPosition: bigint, timeoutMs: number): Promise<void>;
  /** The position of the newest event readers can see (`0n` for an empty store). */
  headPosition(): Promise<bigint>;
  close(): Promise<void>;
}

/** An append's expectation about the stream did not hold. Nothing was written. */
export class WrongExpectedRevisionError extends Error {
  override readonly name = 'WrongExpectedRevisionError';
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    /** The stream's last revision, or `'no_stream'` when it does not exist. */
    readonly actual: bigint | 'no_stream',
  ) {
    super(
      `Wrong expected revision for stream '${stream}': expected ${String(expected)}, actual ${String(actual)}`,
    );
  }
}

/** The append or read was malformed (bad stream name, event too large, ...). Nothing was written. */
export class InvalidEventStoreInputError extends Error {
  override readonly name = 'InvalidEventStoreInputError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

/**
 * An event id given to an append is already stored, but not as the same append repeated
 * (another stream, or other events). Event ids are unique across the store. Nothing was written.
 */
export class DuplicateEventIdError extends Error {
  override readonly name = 'DuplicateEventIdError';
  constructor(
    readonly stream: string,
    readonly eventId: string,
  ) {
    super(`Event id ${eventId} is already stored and does not repeat this append to '${stream}'`);
  }
}
