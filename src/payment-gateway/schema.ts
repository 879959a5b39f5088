import type { MigrationSet } from '../infra/migrations';

/**
 * The mock gateway's books: every charge and refund it settled, one row each, kept for good
 * (a refund of an old charge needs the charge). The unique idempotency key is what makes a
 * charge happen once: two requests with one key can both get past the lookup, only one row
 * goes in. `fingerprint` tells a repeat of the same request from another request under the
 * same key. `seq` keeps booking order for `GET /v1/ledger`.
 *
 * The gateway stands for an external service: only it reads or writes these tables.
 */
export const gatewayMigrations: MigrationSet = {
  component: 'payment-gateway',
  migrations: [
    {
      version: 1,
      name: 'gateway ledger',
      sql: `
CREATE TABLE gateway_ledger (
  seq bigint GENERATED ALWAYS AS IDENTITY,
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('charge', 'refund')),
  idempotency_key text NOT NULL UNIQUE,
  fingerprint text NOT NULL,
  status text NOT NULL CHECK (status IN ('captured', 'declined', 'succeeded')),
  decline_code text,
  amount integer NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  brand text,
  last4 text,
  charge_id text REFERENCES gateway_ledger (id),
  created_at timestamptz NOT NULL,
  CHECK ((kind = 'refund') = (charge_id IS NOT NULL))
);

CREATE INDEX gateway_ledger_seq ON gateway_ledger (seq);
CREATE INDEX gateway_ledger_refunds ON gateway_ledger (charge_id) WHERE charge_id IS NOT NULL;
`,
    },
  ],
};
