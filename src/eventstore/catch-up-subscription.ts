import type { EventFilter, EventStore, RecordedEvent, Subscription } from './event-store';

export interface CatchUpOptions {
  fromPosition?: bigint;
  filter?: EventFilter;
  onError?: (error: unknown) => void;
  /** Events read per query while catching up. */
  pageSize?: number;
  /** Longest sleep between reads when no wake-up arrives (the polling fallback). */
  pollIntervalMs: number;
}

/**
 * A catch-up subscription over any store's `readPage` and `waitForAppend`: reads pages
 * from the position, hands each event to the handler in order, and once caught up sleeps
 * until an append may have happened. It never skips: the position only moves past what was
 * handled or what the store says a reader may pass.
 */
export function catchUpSubscription(
  store: Pick<EventStore, 'readPage' | 'waitForAppend'>,
  options: CatchUpOptions,
  handler: (event: RecordedEvent) => Promise<void>,
): Subscription {
  let stopped = false;
  let wakeOnStop: () => void = () => undefined;
  const stopSignal = new Promise<void>((resolve) => (wakeOnStop = resolve));

  const run = async (): Promise<void> => {
    let position = options.fromPosition ?? 0n;
    while (!stopped) {
      const page = await store.readPage({
        fromPosition: position,
        maxCount: options.pageSize ?? 500,
        filter: options.filter,
      });
      for (const event of page.events) {
        if (stopped) return;
        await handler(event);
      }
      if (stopped) return;
      position = page.nextPosition;
      if (page.events.length === 0) {
        await Promise.race([store.waitForAppend(position, options.pollIntervalMs), stopSignal]);
      }
    }
  };

  const done = run().catch((error: unknown) => {
    if (options.onError) options.onError(error);
    else process.emitWarning(`Subscription stopped: ${String(error)}`);
  });

  return {
    async stop() {
      stopped = true;
      wakeOnStop();
      await done;
    },
  };
}
