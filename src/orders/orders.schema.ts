import type { MigrationSet } from '../infra/migrations';
import { ordersProjection } from '../projections/orders.projection';

/**
 * The order placement's own tables (write side), beside the orders read model:
 *
 * - `order_idempotency_keys`: one row per (user, `Idempotency-Key`), claimed before an order
 *   is placed, holding the request's fingerprint and the order id. The unique key is what
 *   makes two racing requests with one key converge: one inserts, the other reads its row.
 *   Rows are kept IDEMPOTENCY_KEY_RETENTION_HOURS (24 or more, as the contract asks), then
 *   deleted by the API (`startIdempotencyKeyPruning`).
 * - `order_payment_tokens`: the gateway token for a card order, for the fulfilment saga to
 *   charge. Never in an event; the card number itself is stored nowhere. The saga deletes
 *   it when the order is processed, and the fulfilment role's housekeeping a failed or
 *   cancelled order's after PAYMENT_TOKEN_RETENTION_HOURS (`prunePaymentTokens`).
 */
const placementSchema = `
CREATE TABLE order_idempotency_keys (
  user_id uuid NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  order_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, key)
);

CREATE TABLE order_payment_tokens (
  order_id uuid PRIMARY KEY,
  token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
`;

export const orderPlacementMigrations: MigrationSet = {
  component: 'orders:placement',
  migrations: [
    { version: 1, name: 'order_idempotency_keys, order_payment_tokens', sql: placementSchema },
  ],
};

/** The orders module's tables: placement (write side) and the orders read model. */
export const orderMigrationSets: readonly MigrationSet[] = [
  orderPlacementMigrations,
  ordersProjection.migrations,
];
