import type { EventStore } from '../eventstore';
import { StreamStateCache } from './stream-state-cache';

/**
 * The stream state caches of this process, one of each per event store, shared by every
 * part that runs commands on those streams: the orders API places an order into the same
 * cache from which the fulfilment process, in the same process, takes it up.
 */
const caches = {
  /**
   * Inventory states. A product's stream grows with every order line and every saga step
   * reserves or releases on it: the cache spares re-reading it, and its per-stream queue
   * keeps this process's concurrent handlers from colliding on one product; commands that
   * queue up behind one in flight go out together in one append. Safe for the inventory
   * decider: its repeats either write the same event ids (recognised by the store) or are
   * no-ops.
   */
  inventory: {
    states: new WeakMap<EventStore, StreamStateCache>(),
    make: () => new StreamStateCache(1_000, false, true),
  },
  /**
   * Order and payment states. These streams are short, so the cache keeps their event ids
   * too: a repeat of any command is answered with its first result, as without a cache,
   * while a fresh command appends without reading the stream first.
   */
  orders: {
    states: new WeakMap<EventStore, StreamStateCache>(),
    make: () => new StreamStateCache(4_000, true),
  },
};

function cacheOf(kind: keyof typeof caches, store: EventStore): StreamStateCache {
  const { states, make } = caches[kind];
  let cache = states.get(store);
  if (!cache) {
    cache = make();
    states.set(store, cache);
  }
  return cache;
}

export const inventoryStateCache = (store: EventStore) => cacheOf('inventory', store);
export const orderStateCache = (store: EventStore) => cacheOf('orders', store);
