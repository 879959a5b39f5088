import { toDecimal } from '../catalog/catalog.views';
import type { OrderState } from '../domain/orders/order.state';
import type { OrderView } from './orders.queries';

/** An order as the API shows it (DESIGN.md section 6: snake_case, money as decimals). */
export function orderJson(o: OrderView) {
  return {
    id: o.id,
    user_id: o.userId,
    status: o.status,
    items: o.items.map((i) => ({
      product_id: i.productId,
      quantity: i.quantity,
      unit_price: toDecimal(i.unitPrice),
      line_total: toDecimal(i.lineTotal),
    })),
    total_price: toDecimal(o.totalPrice),
    currency: o.currency,
    shipping_address: o.shippingAddress,
    payment: o.payment,
    failure_reason: o.failureReason,
    created_at: o.createdAt.toISOString(),
    updated_at: o.updatedAt.toISOString(),
  };
}

/**
 * The order as its stream tells, in the read model's shape: the answer of a write whose read
 * model did not catch up in time. `updatedAt` is the placement time (the stream state keeps
 * no per-step times).
 */
export function orderFromState(s: OrderState): OrderView | undefined {
  const placed = s.placed;
  if (!s.exists || !placed) return undefined;
  const at = new Date(placed.at);
  return {
    id: s.orderId,
    userId: s.userId,
    status: s.status,
    items: s.items.map((i) => ({ ...i })),
    totalPrice: s.totalPrice,
    currency: s.currency,
    shippingAddress: placed.shippingAddress,
    payment: {
      method: placed.payment.method,
      brand: placed.payment.brand ?? null,
      last4: placed.payment.last4 ?? null,
    },
    failureReason: s.failureReason,
    createdAt: at,
    updatedAt: at,
  };
}
