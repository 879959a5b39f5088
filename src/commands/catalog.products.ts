import { randomBytes } from 'node:crypto';
import { productDecider, type ProductState } from '../domain/catalog/product.decider';
import { productStream, type ProductEvent } from '../domain/catalog/product.events';
import { fold } from '../domain/decider';
import type { EventStore } from '../eventstore';

/** The product's state as its stream tells. */
export async function loadProduct(store: EventStore, productId: string): Promise<ProductState> {
  return (await loadProductHistory(store, productId)).state;
}

/** The product's state and the times of its first and last events (ISO-8601). */
export async function loadProductHistory(
  store: EventStore,
  productId: string,
): Promise<{ state: ProductState; createdAt?: string; updatedAt?: string }> {
  const recorded = await store.readStream(productStream(productId));
  const events = recorded.map((e) => ({ type: e.type, data: e.data }) as ProductEvent);
  return {
    state: fold(productDecider, events),
    createdAt: events[0]?.data.at,
    updatedAt: events.at(-1)?.data.at,
  };
}

/**
 * A SKU for a product that came without one: up to three words of its name, upper-case,
 * and a random suffix (`BLUE-MUG-7F3A2C`), so it reads well and practically never collides.
 */
export function generateSku(name: string): string {
  const words = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '') // accents off: "crème" → "creme", not "cre me"
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean)
    .slice(0, 3)
    .map((w) => w.slice(0, 8));
  const suffix = randomBytes(3).toString('hex').toUpperCase();
  return [...(words.length > 0 ? words : ['SKU']), suffix].join('-');
}
