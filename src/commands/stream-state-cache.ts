/**
 * Folded states of hot streams, kept in memory between commands, with a per-stream queue so
 * that this process runs one command per stream at a time.
 *
 * A product's inventory stream gains events with every order line; reading and folding it
 * whole for each reservation costs more with every order. With a cached state a command
 * decides at once and appends with the cached revision; a write from elsewhere (another
 * process, the API) shows up as a revision conflict, after which only the missing tail is
 * read. The queue keeps this process's own commands from conflicting with each other.
 *
 * Bounded: the least recently used stream is dropped beyond `maxStreams`.
 */
export class StreamStateCache {
  private readonly entries = new Map<string, CachedStream>();
  private readonly queues = new Map<string, Promise<unknown>>();

  /**
   * `trackEventIds`: remember every event id of each cached stream, so that a repeat of any
   * earlier command is recognised before deciding (exact for every decider; for short
   * streams such as an order's). Without it a repeat is only recognised when it writes.
   */
  /** Commands waiting for their stream's queue, per stream, when the cache batches them. */
  readonly waiting = new Map<string, unknown[]>();

  /**
   * `batchCommands`: commands queued on one stream while an earlier one runs are decided
   * one after the other on the cached state and appended together, in ONE append (see
   * `handleCommand`). For hot streams (a product's inventory) whose commands arrive faster
   * than one append round trip.
   */
  constructor(
    private readonly maxStreams = 1_000,
    private readonly trackEventIds = false,
    readonly batchCommands = false,
  ) {}

  /** The entry of a stream with no events yet. */
  empty(owner: object, initialState: unknown): CachedStream {
    return {
      owner,
      revision: -1n,
      position: 0n,
      state: initialState,
      ...(this.trackEventIds && { eventIds: new Set<string>() }),
    };
  }

  /** The state folded by `owner` (the decider), or undefined. */
  get(stream: string, owner: object): CachedStream | undefined {
    const entry = this.entries.get(stream);
    if (!entry || entry.owner !== owner) return undefined;
    this.entries.delete(stream); // re-insert: the Map's order is the recency order
    this.entries.set(stream, entry);
    return entry;
  }

  set(stream: string, entry: CachedStream): void {
    this.entries.delete(stream);
    this.entries.set(stream, entry);
    if (this.entries.size > this.maxStreams) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** Forgets a stream whose stored state is uncertain (an append with an unknown outcome). */
  forget(stream: string): void {
    this.entries.delete(stream);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Runs `work` after every earlier `exclusive` call on the same stream has settled. */
  exclusive<T>(stream: string, work: () => Promise<T>): Promise<T> {
    const before = this.queues.get(stream) ?? Promise.resolve();
    const run = before.then(work, work);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(stream, tail);
    void tail.then(() => {
      if (this.queues.get(stream) === tail) this.queues.delete(stream);
    });
    return run;
  }
}

export interface CachedStream {
  /** The decider whose fold this is: a stream is only ever read back by the same one. */
  owner: object;
  /** Revision of the last event folded (`-1n`: no stream). */
  revision: bigint;
  /** Global position of the last event folded (`0n`: none). */
  position: bigint;
  state: unknown;
  /** Every event id in the stream, when the cache tracks them. */
  eventIds?: ReadonlySet<string>;
}
