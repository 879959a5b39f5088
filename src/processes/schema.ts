import type { MigrationSet } from '../infra/migrations';

/**
 * Tables of the process managers.
 *
 * `scheduled_retries`: work the fulfilment process must do later, kept in PostgreSQL so it
 * survives a restart. `stock_retry` re-attempts an order's whole reservation (`attempt` is
 * the attempt to run); `reservation_expiry` fails an order still unpaid at `due_at`. One row
 * per (kind, order, attempt), so scheduling twice (a redelivered event) is a no-op. A row is
 * done once `done_at` is set; `failures` and `last_error` record runs that threw.
 *
 * `order_payment_tokens`: the gateway token for an order, written by the orders API. Created
 * here too (IF NOT EXISTS, the same columns) so the processes do not depend on that module.
 */
export const processMigrations: MigrationSet = {
  component: 'processes',
  migrations: [
    {
      version: 1,
      name: 'scheduled retries and payment tokens',
      sql: `
CREATE TABLE IF NOT EXISTS order_payment_tokens (
  order_id uuid PRIMARY KEY,
  token text
);

CREATE TABLE scheduled_retries (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('stock_retry', 'reservation_expiry')),
  order_id uuid NOT NULL,
  attempt integer NOT NULL,
  due_at timestamptz NOT NULL,
  done_at timestamptz,
  failures integer NOT NULL DEFAULT 0,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, order_id, attempt)
);

CREATE INDEX scheduled_retries_due ON scheduled_retries (due_at) WHERE done_at IS NULL;
CREATE INDEX scheduled_retries_order ON scheduled_retries (order_id) WHERE done_at IS NULL;
`,
    },
    {
      version: 2,
      name: 'payment checks for charges whose outcome is unknown',
      sql: `
ALTER TABLE scheduled_retries DROP CONSTRAINT scheduled_retries_kind_check;
ALTER TABLE scheduled_retries ADD CONSTRAINT scheduled_retries_kind_check
  CHECK (kind IN ('stock_retry', 'reservation_expiry', 'payment_check'));
`,
    },
  ],
};
