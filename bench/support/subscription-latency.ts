import type { EventStore, Subscription } from '../../src/eventstore';
import { now, percentiles, sleep, type Percentiles, type PhaseTiming } from './timing';
import { StreamCursor } from './workload';
import { expectedOf } from './write-phases';

export interface SubscriberStats {
  /** Handler time minus commit time (when the writer's append resolved), in ms. */
  latency: Percentiles;
  /** Measured events the handler never saw (within 10 s after the writers stopped). */
  missed: number;
  duplicates: number;
  outOfOrder: number;
}

export interface SubscriptionLatencyResult {
  /** Events whose scheduled time fell in the measured window. */
  events: number;
  /** Events committed inside the measured window, per second. */
  achievedPerSec: number;
  /** How long after the window the writers finished (they fell behind when > 0). */
  writersOverranMs: number;
  subscribers: Record<string, SubscriberStats>;
}

/**
 * Open-loop writers append single events at a fixed total rate (each writer on a timer
 * schedule, on its own streams) while every given store has one live subscriber from the
 * current head. Latency is matched by event id.
 */
export async function subscriptionLatency(
  writerStore: EventStore,
  subscriberStores: Record<string, EventStore>,
  options: { writers: number; eventsPerSec: number },
  timing: PhaseTiming,
): Promise<SubscriptionLatencyResult> {
  const head = await writerStore.headPosition();
  const recorders = Object.entries(subscriberStores).map(
    ([name, store]) => [name, record(store, head)] as const,
  );
  try {
    await sleep(200); // let the subscriptions reach live before anything is appended
    const start = now();
    const measureFrom = start + timing.warmupMs;
    const measureTo = measureFrom + timing.durationMs;
    const period = (1000 * options.writers) / options.eventsPerSec; // per writer
    const committedAt = new Map<string, number>();
    const measured: string[] = [];

    const writer = async (w: number): Promise<void> => {
      const cursor = new StreamCursor(10, 1);
      for (let k = 0; ; k += 1) {
        const due = start + (w * period) / options.writers + k * period; // interleaved evenly
        if (due >= measureTo) return;
        await sleep(due - now()); // behind schedule: append at once, nothing is dropped
        const { stream, expected, events } = cursor.next();
        await writerStore.appendToStream(stream, events, {
          expectedRevision: expectedOf(expected),
        });
        committedAt.set(events[0]!.id, now());
        cursor.committed();
        if (due >= measureFrom) measured.push(events[0]!.id);
      }
    };
    await Promise.all(Array.from({ length: options.writers }, (_, w) => writer(w)));
    const writersDone = now();

    // Drain: every measured event must reach every handler.
    const drainUntil = now() + 10_000;
    const pending = () => recorders.some(([, r]) => measured.some((id) => !r.handledAt.has(id)));
    while (pending() && now() < drainUntil && !recorders.some(([, r]) => r.failure)) {
      await sleep(10);
    }
    for (const [name, r] of recorders) {
      if (r.failure) throw new Error(`subscription on ${name} failed`, { cause: r.failure });
    }

    const stats = (r: Recorder): SubscriberStats => {
      const latencies = measured.flatMap((id) => {
        const handled = r.handledAt.get(id);
        return handled === undefined ? [] : [handled - committedAt.get(id)!];
      });
      return {
        latency: percentiles(latencies),
        missed: measured.length - latencies.length,
        duplicates: r.duplicates,
        outOfOrder: r.outOfOrder,
      };
    };
    const committed = [...committedAt.values()];
    return {
      events: measured.length,
      achievedPerSec:
        committed.filter((t) => t >= measureFrom && t <= measureTo).length /
        (timing.durationMs / 1000),
      writersOverranMs: Math.max(0, writersDone - measureTo),
      subscribers: Object.fromEntries(recorders.map(([name, r]) => [name, stats(r)])),
    };
  } finally {
    await Promise.all(recorders.map(([, r]) => r.subscription.stop()));
  }
}

interface Recorder {
  subscription: Subscription;
  handledAt: Map<string, number>;
  duplicates: number;
  outOfOrder: number;
  failure?: unknown;
}

/** A subscriber whose handler only notes when it saw each event, and any disorder. */
function record(store: EventStore, from: bigint): Recorder {
  const handledAt = new Map<string, number>();
  let last = from;
  const r: Recorder = {
    handledAt,
    duplicates: 0,
    outOfOrder: 0,
    subscription: store.subscribeToAll(
      { fromPosition: from, onError: (error) => (r.failure = error) },
      (event) => {
        const t = now();
        if (handledAt.has(event.id)) r.duplicates += 1;
        else handledAt.set(event.id, t);
        if (event.position <= last) r.outOfOrder += 1;
        last = event.position;
        return Promise.resolve();
      },
    ),
  };
  return r;
}
