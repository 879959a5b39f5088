import * as t from 'io-ts';

/**
 * Events of an `inventory-{productId}` stream. Quantities are whole units; `at` is an
 * ISO-8601 time carried in from the command.
 */
const base = { productId: t.string, at: t.string };

export const StockReceived = t.type({
  type: t.literal('StockReceived'),
  data: t.type({ ...base, sku: t.string, quantity: t.number }),
});
export const StockAdjusted = t.type({
  type: t.literal('StockAdjusted'),
  data: t.type({ ...base, adjustment: t.number, reason: t.string }),
});
export const ReorderThresholdChanged = t.type({
  type: t.literal('ReorderThresholdChanged'),
  data: t.type({ ...base, threshold: t.number }),
});
export const StockReserved = t.type({
  type: t.literal('StockReserved'),
  data: t.type({ ...base, orderId: t.string, quantity: t.number }),
});
export const StockReservationRejected = t.type({
  type: t.literal('StockReservationRejected'),
  data: t.type({ ...base, orderId: t.string, requested: t.number, available: t.number }),
});
export const StockReleased = t.type({
  type: t.literal('StockReleased'),
  data: t.type({ ...base, orderId: t.string, quantity: t.number, reason: t.string }),
});
export const StockCommitted = t.type({
  type: t.literal('StockCommitted'),
  data: t.type({ ...base, orderId: t.string, quantity: t.number }),
});
export const LowStock = t.type({
  type: t.literal('LowStock'),
  data: t.type({ ...base, available: t.number, threshold: t.number }),
});

export const InventoryEvent = t.union([
  StockReceived,
  StockAdjusted,
  ReorderThresholdChanged,
  StockReserved,
  StockReservationRejected,
  StockReleased,
  StockCommitted,
  LowStock,
]);
export type InventoryEvent = t.TypeOf<typeof InventoryEvent>;
export type InventoryEventType = InventoryEvent['type'];

export const inventoryStream = (productId: string): string => `inventory-${productId}`;
