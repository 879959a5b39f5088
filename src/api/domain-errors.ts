import * as E from 'fp-ts/Either';
import type { DomainError } from '../domain/decider';
import { HttpProblem, type FieldError } from './problem';

/** A domain error with whatever extra fields its decider gives it (`field`, `available`...). */
export type DomainErrorDetails = DomainError & Readonly<Record<string, unknown>>;

/** How one domain error code reads over HTTP. The problem `code` is the lower-cased code. */
export interface DomainErrorMapping {
  status: number;
  detail: string | ((error: DomainErrorDetails) => string);
  /** Extra problem members (snake_case) the client may rely on, e.g. `available`. */
  extensions?: (error: DomainErrorDetails) => Record<string, unknown>;
  /** For 400s: the bad fields, as `decode` names them (`body.quantity`). */
  errors?: (error: DomainErrorDetails) => FieldError[];
}

const text = (value: unknown): string => (typeof value === 'string' ? value : String(value));

/**
 * The one table from domain error codes to HTTP, keyed by code. Append a row when a decider
 * gains a code; a code missing here still answers, as a 409 carrying the code.
 */
export const domainErrors: Readonly<Record<string, DomainErrorMapping>> = {
  // src/domain/inventory/inventory.decider.ts
  INVENTORY_NOT_FOUND: { status: 404, detail: 'This product has no inventory' },
  INVALID_QUANTITY: {
    status: 400,
    detail: 'The request has invalid fields',
    errors: (e) => [{ field: `body.${text(e.field)}`, message: 'is not an allowed quantity' }],
  },
  INSUFFICIENT_STOCK: {
    status: 409,
    detail: (e) =>
      `Not enough stock: ${text(e.requested)} requested, ${text(e.available)} available`,
    extensions: (e) => ({ available: e.available, requested: e.requested }),
  },
  RESERVATION_NOT_FOUND: {
    status: 409,
    detail: 'No stock is reserved for this order',
    extensions: (e) => ({ order_id: e.orderId }),
  },
  RESERVATION_CLOSED: {
    status: 409,
    detail: (e) => `The stock reservation for this order was already ${text(e.closedAs)}`,
    extensions: (e) => ({ order_id: e.orderId, closed_as: e.closedAs }),
  },
  // src/domain/catalog/product.decider.ts
  PRODUCT_NOT_FOUND: { status: 404, detail: 'No such product' },
  PRODUCT_ALREADY_EXISTS: {
    status: 409,
    detail: 'A product with this id already exists',
    extensions: (e) => ({ product_id: e.productId }),
  },
  INVALID_PRICE: {
    status: 400,
    detail: 'The request has invalid fields',
    errors: () => [{ field: 'body.price', message: 'must be a non-negative amount' }],
  },
  // src/commands/catalog.commands.ts (uniqueness across products, kept by the claims table)
  SKU_TAKEN: {
    status: 409,
    detail: (e) => `Another product already has the SKU ${text(e.sku)}`,
    extensions: (e) => ({ sku: e.sku }),
  },
  NAME_TAKEN: {
    status: 409,
    detail: (e) => `Another product is already named ${text(e.name)}`,
    extensions: (e) => ({ name: e.name }),
  },
  // src/domain/catalog/category.decider.ts
  CATEGORY_ALREADY_EXISTS: {
    status: 409,
    detail: (e) => `The category ${text(e.name)} already exists`,
    extensions: (e) => ({ category_id: e.categoryId, name: e.name }),
  },
  INVALID_CATEGORY_NAME: {
    status: 400,
    detail: 'The request has invalid fields',
    errors: () => [{ field: 'body.name', message: 'must not be blank' }],
  },
  // src/domain/orders/order.decider.ts
  INVALID_ORDER: {
    status: 400,
    detail: 'The request has invalid fields',
    errors: (e) => [{ field: `body.${text(e.field)}`, message: text(e.message) }],
  },
  ORDER_NOT_FOUND: { status: 404, detail: 'No such order' },
  ORDER_ALREADY_EXISTS: {
    status: 409,
    detail: 'An order with this id already exists with other content',
    extensions: (e) => ({ order_id: e.orderId }),
  },
  INVALID_TRANSITION: {
    status: 409,
    detail: (e) => `An order cannot move from ${text(e.from)} to ${text(e.to)}`,
    extensions: (e) => ({ from: e.from, to: e.to }),
  },
  ORDER_NOT_CANCELLABLE: {
    status: 409,
    detail: (e) => `An order that is ${text(e.status)} can no longer be cancelled`,
    extensions: (e) => ({ order_status: e.status }),
  },
  // src/commands/orders.commands.ts (the catalog, the address book, idempotency keys)
  ORDER_UNPROCESSABLE: {
    status: 422,
    detail: 'The order names products or an address that cannot be used',
    errors: (e) => (Array.isArray(e.errors) ? (e.errors as FieldError[]) : []),
  },
  PRICE_CHANGED: {
    status: 409,
    detail: 'A price changed since the client saw it; the catalog price applies',
    errors: (e) =>
      (e.lines as { index: number }[]).map((l) => ({
        field: `body.items[${l.index}].price`,
        message: 'differs from the catalog price',
      })),
    extensions: (e) => ({
      lines: (e.lines as { index: number; productId: string; catalogPrice: number }[]).map((l) => ({
        index: l.index,
        product_id: l.productId,
        price: l.catalogPrice / 100,
      })),
    }),
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    detail: 'This Idempotency-Key was used with a different request',
  },
};

/** A domain refusal as the problem the client gets: its status, lower-case code and details. */
export function domainProblem(error: DomainError): HttpProblem {
  const details = error as DomainErrorDetails;
  const code = error.code.toLowerCase();
  const mapping = Object.hasOwn(domainErrors, error.code) ? domainErrors[error.code] : undefined;
  if (!mapping) {
    return new HttpProblem(409, {
      code,
      detail: 'The request conflicts with the current state of the resource',
    });
  }
  const extensions = mapping.extensions?.(details);
  const errors = mapping.errors?.(details);
  return new HttpProblem(mapping.status, {
    code,
    detail: typeof mapping.detail === 'string' ? mapping.detail : mapping.detail(details),
    ...(errors && { errors }),
    ...(extensions && { extensions }),
  });
}

/** The command's result, or its domain error thrown as the matching problem. */
export function orProblem<A>(result: E.Either<DomainError, A>): A {
  if (E.isLeft(result)) throw domainProblem(result.left);
  return result.right;
}
