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

/** Coverage of the last few shared reads that reached the horizon: who is near it is live. */
const RECENT_READS = 8;

/**
 * Lets the readers of `$all` in one process (projections, reactors, subscriptions) share
 * their reads. Reads asked for in the same turn of the event loop, or while a shared read is
 * in flight, are answered together: ONE unfiltered read from the lowest position asked,
 * filtered here for each reader, instead of one statement and one set of rows per reader.
 * Each answer is exactly what the reader's own read would have given at that moment or a
 * later one (the shared read is sent after every request it answers was made):
 *
 *   - events after the reader's position matching its filter, in order, at most its limit;
 *   - `nextPosition` as `readPage` defines it: the last event when the page is full, else
 *     past everything the shared read covered (up to the horizon, or to its last event when
 *     the shared page itself was full).
 *
 * A reader far behind the others (catching up after a restart or a rebuild) reads alone
 * with its filter in the statement, as does one the shared page could not serve (a full
 * shared page ending before its position, or holding fewer of its events than it asked
 * for). "Far behind": below where the recent shared reads that reached the horizon started.
 *
 * The events handed out are frozen (the record, its data and metadata): readers share them.
 */
export class SharedReads {
  /** Requests of one turn, or made while a shared read is in flight, are served together. */
  private readonly batches = new Batcher<Waiting, void>(async (batch) => {
    await this.serve(batch);
    return batch.map(() => undefined);
  });
  /** `from` of recent shared reads whose page reached the horizon (not full). */
  private readonly recentFroms: bigint[] = [];

  constructor(
    private readonly readFiltered: (request: PageRequest) => Promise<ReadPage>,
    private readonly readShared: (from: bigint, limit: number) => Promise<RawPage>,
    private readonly pageSize = 1000,
  ) {}

  read(request: PageRequest): Promise<ReadPage> {
    return new Promise<ReadPage>((resolve, reject) => {
      // `serve` settles every request itself; this only catches a fault of its own.
      this.batches.call({ ...request, resolve, reject }).catch(reject);
    });
  }

  private async serve(batch: readonly Waiting[]): Promise<void> {
    const liveFrom = this.recentFroms.length < RECENT_READS ? undefined : this.recentFroms[0];
    const live = batch.filter((w) => liveFrom === undefined || w.from >= liveFrom);
    const alone = batch.filter((w) => !live.includes(w));
    if (live.length < 2) {
      await Promise.all(batch.map((w) => this.readAlone(w)));
      return;
    }
    const sharedFrom = live.reduce((min, w) => (w.from < min ? w.from : min), live[0]!.from);
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
    if (!sharedFull) this.remember(sharedFrom);
    for (const event of page.events) freeze(event);
    const retry: Waiting[] = [];
    for (const w of live) {
      const answer = answerFrom(page.events, covered, w);
      if (answer === undefined || (sharedFull && !answer.full)) retry.push(w);
      else w.resolve(answer.page);
    }
    await Promise.all([aloneDone, ...retry.map((w) => this.readAlone(w))]);
  }

  private readAlone(w: Waiting): Promise<void> {
    return this.readFiltered(w).then(
      (page) => w.resolve(page),
      (error: unknown) => w.reject(error),
    );
  }

  private remember(from: bigint): void {
    this.recentFroms.push(from);
    if (this.recentFroms.length > RECENT_READS) this.recentFroms.shift();
  }
}

/** The reader's page out of a shared one; undefined when the shared page cannot tell. */
function answerFrom(
  events: readonly RecordedEvent[],
  covered: bigint,
  w: PageRequest,
): { page: ReadPage; full: boolean } | undefined {
  if (w.from > covered) return undefined;
  const picked: RecordedEvent[] = [];
  for (const event of events) {
    if (w.limit !== null && picked.length >= w.limit) break;
    if (event.position > w.from && matches(w.filter, event)) picked.push(event);
  }
  const full = w.limit !== null && picked.length >= w.limit;
  const nextPosition = full ? picked[picked.length - 1]!.position : covered;
  return { page: { events: picked, nextPosition }, full };
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
