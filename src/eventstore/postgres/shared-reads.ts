import { Batcher } from '../../infra/batcher';
import type { EventFilter, ReadPage, RecordedEvent } from '../event-store';

/** What one unfiltered read from the store gave: the events and the read horizon. */
export interface RawPage {
  events: RecordedEvent[];
  /** Every event below this position was visible to the read. */
  safe: bigint;
}

export interface PageRequest {
  from: bigint;
  limit: number | null;
  filter: EventFilter | undefined;
}

interface Waiting extends PageRequest {
  resolve(page: ReadPage): void;
  reject(error: unknown): void;
}

/** Events kept from the latest shared reads, for readers a little behind (see `SharedReads`). */
const WINDOW_EVENTS = 2048;
/** Shared reads for which the window counts as in use after readers last shared. */
const WINDOW_IN_USE_SERVES = 16;

/** The latest shared reads' events: every event in (from, covered], in order. */
interface Window {
  events: RecordedEvent[];
  from: bigint;
  covered: bigint;
}

/**
 * Lets the readers of `$all` in one process (projections, reactors, subscriptions) share
 * their reads. Reads asked for in the same turn of the event loop, or while a shared read is
 * in flight, are answered together: ONE unfiltered read from the lowest position asked,
 * filtered here for each reader, instead of one statement and one set of rows per reader.
 * Each answer is exactly what the reader's own read would have given at that moment or an
 * earlier one (a prefix of it, never with a gap):
 *
 *   - events after the reader's position matching its filter, in order, at most its limit;
 *   - `nextPosition` as `readPage` defines it: the last event when the page is full, else
 *     past everything the shared read covered (up to the horizon, or to its last event when
 *     the shared page itself was full).
 *
 * The readers of a process do not move in step: each handles its page at its own pace and
 * asks again at its own time. So the events of the latest shared reads are kept (a window
 * of the last WINDOW_EVENTS): a reader whose position lies in the window and who has events
 * there is answered from memory, and the next read from the store starts where the window
 * ends. Every event is then read from the store once per process, not once per reader
 * (measured: 5 rows read per event appended, with six readers, before the window).
 *
 * A reader far behind the others (before the window: catching up after a restart or a
 * rebuild) reads alone with its filter in the statement, as does one the shared page could
 * not serve (a full shared page ending before its position, or holding fewer of its events
 * than it asked for), and a reader alone in a process that has no use for the window (its
 * reads are then filtered by the store).
 *
 * The events handed out are frozen (the record, its data and metadata): readers share them.
 */
export class SharedReads {
  /** Requests of one turn, or made while a shared read is in flight, are served together. */
  private readonly batches = new Batcher<Waiting, void>(async (batch) => {
    await this.serve(batch);
    return batch.map(() => undefined);
  });
  private window: Window | undefined;
  private serves = 0;
  /** `serves` when readers last shared: a read from the store, or the window. */
  private lastShared = -Infinity;

  constructor(
    private readonly readFiltered: (request: PageRequest) => Promise<ReadPage>,
    private readonly readShared: (from: bigint, limit: number) => Promise<RawPage>,
    private readonly pageSize = 1000,
    private readonly windowEvents = WINDOW_EVENTS,
  ) {}

  read(request: PageRequest): Promise<ReadPage> {
    const fromWindow = this.fromWindow(request);
    if (fromWindow) return Promise.resolve(fromWindow);
    return new Promise<ReadPage>((resolve, reject) => {
      // `serve` settles every request itself; this only catches a fault of its own.
      this.batches.call({ ...request, resolve, reject }).catch(reject);
    });
  }

  private async serve(batch: readonly Waiting[]): Promise<void> {
    this.serves++;
    // The window may have grown since these were asked.
    const rest = batch.filter((w) => {
      const page = this.fromWindow(w);
      if (page) w.resolve(page);
      return !page;
    });
    if (rest.length === 0) return;
    const window = this.window;
    const inWindow = (w: Waiting) => window !== undefined && w.from >= window.from;
    // Before the window, a reader is far behind (or every reader is live: no window yet).
    const live = window ? rest.filter(inWindow) : rest;
    const alone = rest.filter((w) => !live.includes(w));
    const windowInUse = this.serves - this.lastShared <= WINDOW_IN_USE_SERVES;
    if (live.length === 0 || (live.length === 1 && !windowInUse)) {
      await Promise.all(rest.map((w) => this.readAlone(w)));
      return;
    }
    // A reader in the window found nothing of its own there: the store is read from where
    // the window ends, not again from its position.
    const readFrom = (w: Waiting) =>
      window && inWindow(w) && w.from < window.covered ? window.covered : w.from;
    const sharedFrom = live.reduce((min, w) => {
      const from = readFrom(w);
      return from < min ? from : min;
    }, readFrom(live[0]!));
    const aloneDone = Promise.all(alone.map((w) => this.readAlone(w)));
    let page: RawPage;
    try {
      page = await this.readShared(sharedFrom, this.pageSize);
    } catch (error) {
      for (const w of live) w.reject(error);
      await aloneDone;
      return;
    }
    const sharedFull = page.events.length >= this.pageSize;
    const last = page.events[page.events.length - 1];
    // Every event in (sharedFrom, covered] was in the shared page.
    const covered = sharedFull && last ? last.position : page.safe - 1n;
    for (const event of page.events) freeze(event);
    const joined = this.joinWindow(sharedFrom, page.events, covered);
    if (live.length > 1) this.lastShared = this.serves;
    const retry: Waiting[] = [];
    for (const w of live) {
      const answer = answerFrom(joined.events, joined.from, joined.covered, w);
      if (answer === undefined || (sharedFull && !answer.full)) retry.push(w);
      else w.resolve(answer.page);
    }
    this.window = this.bounded(joined);
    await Promise.all([aloneDone, ...retry.map((w) => this.readAlone(w))]);
  }

  /** The reader's page from the window, when its position lies there and it has events there. */
  private fromWindow(request: PageRequest): ReadPage | undefined {
    const window = this.window;
    if (!window || request.from < window.from || request.from >= window.covered) return undefined;
    const answer = answerFrom(window.events, window.from, window.covered, request);
    if (!answer || answer.page.events.length === 0) return undefined;
    this.lastShared = this.serves;
    return answer.page;
  }

  /** The window with a shared page added, or the page alone when it does not join on. */
  private joinWindow(from: bigint, events: RecordedEvent[], covered: bigint): Window {
    const window = this.window;
    if (!window || from < window.from || from > window.covered) return { events, from, covered };
    const newer = events.filter((e) => e.position > window.covered);
    return {
      events: newer.length > 0 ? window.events.concat(newer) : window.events,
      from: window.from,
      covered: covered > window.covered ? covered : window.covered,
    };
  }

  /** The last `windowEvents` of a window; it then starts at the last event dropped. */
  private bounded(window: Window): Window {
    const excess = window.events.length - this.windowEvents;
    if (excess <= 0) return window;
    return {
      events: window.events.slice(excess),
      from: window.events[excess - 1]!.position,
      covered: window.covered,
    };
  }

  private readAlone(w: Waiting): Promise<void> {
    return this.readFiltered(w).then(
      (page) => w.resolve(page),
      (error: unknown) => w.reject(error),
    );
  }
}

/**
 * The reader's page out of `events`, which hold every event in (from, covered]; undefined
 * when they cannot tell (the reader's position lies outside that range).
 */
function answerFrom(
  events: readonly RecordedEvent[],
  from: bigint,
  covered: bigint,
  w: PageRequest,
): { page: ReadPage; full: boolean } | undefined {
  if (w.from < from || w.from > covered) return undefined;
  const picked: RecordedEvent[] = [];
  for (let i = firstAfter(events, w.from); i < events.length; i++) {
    if (w.limit !== null && picked.length >= w.limit) break;
    const event = events[i]!;
    if (matches(w.filter, event)) picked.push(event);
  }
  const full = w.limit !== null && picked.length >= w.limit;
  const nextPosition = full ? picked[picked.length - 1]!.position : covered;
  return { page: { events: picked, nextPosition }, full };
}

/** Index of the first event after `position` in `events` (ordered by position). */
function firstAfter(events: readonly RecordedEvent[], position: bigint): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (events[mid]!.position > position) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** The filter as the SQL applies it: type in the list, stream name starting with a prefix. */
export function matches(filter: EventFilter | undefined, event: RecordedEvent): boolean {
  if (filter?.eventTypes && !filter.eventTypes.includes(event.type)) return false;
  if (filter?.streamPrefixes && !filter.streamPrefixes.some((p) => event.streamName.startsWith(p)))
    return false;
  return true;
}

function freeze(event: RecordedEvent): void {
  if (Object.isFrozen(event)) return;
  Object.freeze(event.data);
  Object.freeze(event.metadata);
  Object.freeze(event);
}
