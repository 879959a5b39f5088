import * as E from 'fp-ts/Either';
import type { OrderPlacedData, PaymentSummary, ShippingAddress } from './order.events';

/** Limits every order obeys, whoever validated it first (the API reuses them). */
export const orderLimits = { maxLines: 100, maxQuantity: 10_000 } as const;

/**
 * What PlaceOrder carries: data the command layer has already validated and priced from the
 * catalog. Line totals and the order total are computed here, never taken from outside.
 */
export interface PlaceOrderInput {
  orderId: string;
  userId: string;
  items: readonly { productId: string; quantity: number; unitPrice: number }[];
  currency: string;
  shippingAddress: ShippingAddress;
  payment: PaymentSummary;
  now: string;
}

export type InvalidOrder = { code: 'INVALID_ORDER'; field: string; message: string };

const isCount = (n: number, min: number) => Number.isSafeInteger(n) && n >= min;

const invalid = (field: string, message: string): E.Either<InvalidOrder, never> =>
  E.left({ code: 'INVALID_ORDER', field, message });

/** The OrderPlaced payload for a command, or the first invariant it breaks. */
export function placedData(cmd: PlaceOrderInput): E.Either<InvalidOrder, OrderPlacedData> {
  const { items } = cmd;
  if (items.length < 1 || items.length > orderLimits.maxLines)
    return invalid('items', `between 1 and ${orderLimits.maxLines} lines`);
  const seen = new Set<string>();
  for (const [i, line] of items.entries()) {
    if (line.productId === '') return invalid(`items[${i}].product_id`, 'required');
    // One reservation per order and product: a product on two lines would be reserved once.
    if (seen.has(line.productId)) return invalid(`items[${i}].product_id`, 'duplicate product');
    seen.add(line.productId);
    if (!isCount(line.quantity, 1) || line.quantity > orderLimits.maxQuantity)
      return invalid(`items[${i}].quantity`, `an integer from 1 to ${orderLimits.maxQuantity}`);
    if (!isCount(line.unitPrice, 0))
      return invalid(`items[${i}].price`, 'a non-negative amount in minor units');
  }
  const lines = items.map(({ productId, quantity, unitPrice }) => ({
    productId,
    quantity,
    unitPrice,
    lineTotal: unitPrice * quantity,
  }));
  const totalPrice = lines.reduce((sum, l) => sum + l.lineTotal, 0);
  if (!Number.isSafeInteger(totalPrice)) return invalid('total_price', 'too large');
  if (!/^[A-Z]{3}$/.test(cmd.currency)) return invalid('currency', 'an ISO 4217 code');
  const { method, brand, last4 } = cmd.payment;
  if (last4 !== undefined && !/^\d{4}$/.test(last4))
    return invalid('payment.last4', 'exactly four digits');
  const a = cmd.shippingAddress;
  // Copied field by field: whatever else the input object holds (a card number) stays out.
  return E.right({
    orderId: cmd.orderId,
    at: cmd.now,
    userId: cmd.userId,
    items: lines,
    totalPrice,
    currency: cmd.currency,
    shippingAddress: {
      line1: a.line1,
      ...(a.line2 !== undefined ? { line2: a.line2 } : {}),
      city: a.city,
      state: a.state,
      postal_code: a.postal_code,
      country: a.country,
    },
    payment: {
      method,
      ...(brand !== undefined ? { brand } : {}),
      ...(last4 !== undefined ? { last4 } : {}),
    },
  });
}

/**
 * Same order content, whatever the key order (a JSONB column does not keep it) and whenever
 * it was placed: tells an idempotent repeat from a different order under the same id.
 */
export const sameContent = (a: OrderPlacedData, b: OrderPlacedData): boolean =>
  canonical({ ...a, at: '' }) === canonical({ ...b, at: '' });

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)),
        )
      : v,
  );
