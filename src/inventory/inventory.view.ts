import { loadProduct } from '../commands/catalog.products';
import { fold } from '../domain/decider';
import { available, inventoryDecider } from '../domain/inventory/inventory.decider';
import { inventoryStream, type InventoryEvent } from '../domain/inventory/inventory.events';
import type { EventStore } from '../eventstore';
import type { InventoryView } from './inventory.queries';

/** One product's stock as the API shows it (DESIGN.md section 6). */
export function inventoryJson(v: InventoryView) {
  return {
    product_id: v.productId,
    sku: v.sku,
    on_hand: v.onHand,
    available_quantity: v.available,
    reserved_quantity: v.reserved,
    reorder_threshold: v.reorderThreshold,
    low_stock: v.lowStock,
    updated_at: v.updatedAt.toISOString(),
  };
}

/** Events that leave the quantities as they were, and so not `updated_at` either. */
const UNCHANGING: ReadonlySet<InventoryEvent['type']> = new Set([
  'StockReservationRejected',
  'LowStock',
]);

/**
 * The stock as the streams tell, in the read model's shape (the SKU is the product's
 * current one, as the read model keeps it): what a write answers with when the read model
 * did not catch up in time.
 */
export async function inventoryFromStream(
  store: EventStore,
  productId: string,
): Promise<InventoryView | undefined> {
  const [product, recorded] = await Promise.all([
    loadProduct(store, productId),
    store.readStream(inventoryStream(productId)),
  ]);
  if (product.status !== 'live' || recorded.length === 0) return undefined;
  const events = recorded.map((e) => ({ type: e.type, data: e.data }) as InventoryEvent);
  const state = fold(inventoryDecider, events);
  const changed = events.filter((e) => !UNCHANGING.has(e.type)).at(-1) ?? events.at(-1);
  return {
    productId,
    sku: product.sku,
    onHand: state.onHand,
    reserved: state.reserved,
    available: available(state),
    reorderThreshold: state.reorderThreshold,
    lowStock: available(state) < state.reorderThreshold,
    updatedAt: new Date(changed?.data.at ?? Date.now()),
  };
}
