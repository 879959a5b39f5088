import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import { Cursor, Limit, Money, NonEmptyString, Quantity, Uuid } from '../api/codecs';
import { orderLimits } from '../domain/orders/order.decider';
import { orderStatuses, type OrderStatus } from '../domain/orders/order.state';

/** Request codecs of the `/orders` routes. Unknown fields are stripped (`t.exact`). */

const optional = <A, O>(codec: t.Type<A, O, unknown>) => t.union([codec, t.undefined]);

const OrderLineBody = t.exact(
  t.type({ product_id: Uuid, quantity: Quantity, price: optional(Money) }),
);

/** 1 to 100 lines, each checked on its own so every bad line is named. */
const OrderLines = new t.Type<t.TypeOf<typeof OrderLineBody>[], unknown, unknown>(
  'OrderLines',
  (u): u is t.TypeOf<typeof OrderLineBody>[] => t.array(OrderLineBody).is(u),
  (u, c) => {
    const message = `must be a list of 1 to ${orderLimits.maxLines} lines`;
    if (!Array.isArray(u) || u.length < 1 || u.length > orderLimits.maxLines) {
      return t.failure(u, c, message);
    }
    return t.array(OrderLineBody).validate(u, c);
  },
  t.identity,
);

export const ShippingAddressBody = t.exact(
  t.type({
    line1: NonEmptyString(200),
    line2: optional(NonEmptyString(200)),
    city: NonEmptyString(100),
    state: NonEmptyString(100),
    postal_code: NonEmptyString(20),
    country: NonEmptyString(100),
  }),
);

/** 12 to 19 digits passing the Luhn check; spaces and dashes between groups are dropped. */
export function luhnValid(digits: string): boolean {
  if (!/^\d{12,19}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

const parsed = <A>(name: string, message: string, parse: (u: unknown) => A | undefined) =>
  new t.Type<A, A, unknown>(
    name,
    (u): u is A => parse(u) !== undefined,
    (u, c) => {
      const value = parse(u);
      return value === undefined ? t.failure(u, c, message) : t.success(value);
    },
    t.identity,
  );

const CardNumber = parsed(
  'CardNumber',
  'must be a valid card number (12 to 19 digits passing the Luhn check)',
  (u) => {
    if (typeof u !== 'string' || !/^[\d -]+$/.test(u)) return undefined;
    const digits = u.replace(/[ -]/g, '');
    return luhnValid(digits) ? digits : undefined;
  },
);
const ExpMonth = parsed('ExpMonth', 'must be a month from 1 to 12', (u) =>
  typeof u === 'number' && Number.isInteger(u) && u >= 1 && u <= 12 ? u : undefined,
);
/** Four digits, or two meaning 20xx. */
const ExpYear = parsed('ExpYear', 'must be a year (YYYY or YY)', (u) => {
  if (typeof u !== 'number' || !Number.isInteger(u)) return undefined;
  if (u >= 0 && u < 100) return 2000 + u;
  return u >= 2000 && u <= 2199 ? u : undefined;
});
const Cvc = parsed('Cvc', 'must be 3 or 4 digits', (u) =>
  typeof u === 'string' && /^\d{3,4}$/.test(u) ? u : undefined,
);

const CardPayment = t.exact(
  t.type({
    method: t.literal('card'),
    card_number: CardNumber,
    exp_month: ExpMonth,
    exp_year: ExpYear,
    cvc: Cvc,
  }),
);
const TokenPayment = t.exact(
  t.type({
    method: t.literal('token'),
    token: parsed('PaymentToken', 'must be a payment token of 1 to 255 characters', (u) =>
      typeof u === 'string' && u.length >= 1 && u.length <= 255 && !/\s/.test(u) ? u : undefined,
    ),
  }),
);
export type CardPayment = t.TypeOf<typeof CardPayment>;
export type PaymentBody = CardPayment | t.TypeOf<typeof TokenPayment>;

/** Dispatches on `method`, so the errors name the card's own fields, not a union's. */
const Payment = new t.Type<PaymentBody, unknown, unknown>(
  'Payment',
  (u): u is PaymentBody => CardPayment.is(u) || TokenPayment.is(u),
  (u, c) => {
    if (typeof u !== 'object' || u === null || Array.isArray(u)) {
      return t.failure(u, c, 'must be an object with method "card" or "token"');
    }
    const method = (u as { method?: unknown }).method;
    if (method === 'card') return CardPayment.validate(u, c);
    if (method === 'token') return TokenPayment.validate(u, c);
    return t.failure(
      method,
      t.appendContext(c, 'method', t.string, method),
      'must be "card" or "token"',
    );
  },
  t.identity,
);

/** `POST /orders`. `user_id`, `status`, `total_price` and the like are stripped. */
export const PlaceOrderBody = t.exact(
  t.type({
    items: OrderLines,
    shipping_address: optional(ShippingAddressBody),
    address_id: optional(Uuid),
    payment: Payment,
  }),
);
export type PlaceOrderBody = t.TypeOf<typeof PlaceOrderBody>;

/** The `Idempotency-Key` header: 1 to 255 visible ASCII characters. */
export const IdempotencyKey = parsed(
  'IdempotencyKey',
  'must be 1 to 255 visible ASCII characters',
  (u) => (typeof u === 'string' && /^[\x21-\x7e]{1,255}$/.test(u) ? u : undefined),
);

export const StatusFilter = parsed<OrderStatus>(
  'OrderStatus',
  `must be one of ${orderStatuses.join(', ')}`,
  (u) => orderStatuses.find((s) => s === u),
);

export const ListOrdersQuery = t.exact(
  t.type({ status: optional(StatusFilter), limit: optional(Limit), cursor: optional(Cursor) }),
);

/** `PUT /orders/{id}/status`: the fulfilment moves an admin makes, nothing else. */
export const MoveOrderBody = t.exact(
  t.type({ status: t.union([t.literal('shipped'), t.literal('delivered')]) }),
);

export const CancelOrderBody = t.exact(t.type({ reason: optional(NonEmptyString(500)) }));

/** Where a page of orders continues: after this order in the listing's order (newest first). */
export interface OrderKey {
  createdAt: string;
  id: string;
}

const OrderKeyCodec = t.type({ c: t.string, i: Uuid });

export function orderKeyOf(value: unknown): OrderKey | undefined {
  const decoded = OrderKeyCodec.decode(value);
  if (E.isLeft(decoded) || Number.isNaN(Date.parse(decoded.right.c))) return undefined;
  return { createdAt: decoded.right.c, id: decoded.right.i };
}

export const orderCursorValue = (key: OrderKey) => ({ c: key.createdAt, i: key.id });
