import { isRight } from 'fp-ts/Either';
import { loadProductHistory } from '../commands/catalog.products';
import { CategoryCreated, categoryStream } from '../domain/catalog/category.events';
import type { EventStore } from '../eventstore';
import type { CategoryView, ProductView } from './products.queries';

/** Integer minor units as the API's decimal amount (two places: 1999 → 19.99). */
export const toDecimal = (minor: number): number => Number((minor / 100).toFixed(2));

/** A product as the API shows it (DESIGN.md section 6: snake_case, money as a decimal). */
export function productJson(p: ProductView) {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    price: toDecimal(p.priceMinor),
    currency: p.currency,
    sku: p.sku,
    categories: p.categories,
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}

export function categoryJson(c: CategoryView) {
  return {
    id: c.id,
    name: c.name,
    description: c.description,
    created_at: c.createdAt.toISOString(),
  };
}

/**
 * The product as its own stream tells, in the read model's shape: what a write answers with
 * when the read model did not catch up in time (read-your-writes timed out).
 */
export async function productFromStream(
  store: EventStore,
  productId: string,
): Promise<ProductView | undefined> {
  const { state, createdAt, updatedAt } = await loadProductHistory(store, productId);
  if (state.status !== 'live' || createdAt === undefined || updatedAt === undefined) return;
  return {
    id: productId,
    name: state.name,
    description: state.description,
    priceMinor: state.price,
    currency: state.currency,
    sku: state.sku,
    categories: [...state.categories],
    createdAt: new Date(createdAt),
    updatedAt: new Date(updatedAt),
  };
}

/** The category as its stream tells: the answer of a write whose read model lagged. */
export async function categoryFromStream(
  store: EventStore,
  categoryId: string,
): Promise<CategoryView | undefined> {
  const [first] = await store.readStream(categoryStream(categoryId), { maxCount: 1 });
  const created = CategoryCreated.decode({ type: first?.type, data: first?.data });
  if (!isRight(created)) return undefined;
  const { name, description, at } = created.right.data;
  return { id: categoryId, name, description, createdAt: new Date(at) };
}
