import type { Pool, PoolClient } from 'pg';
import { Batcher } from '../infra/batcher';
import { inTransaction } from '../infra/transaction';
import type { CardBrand } from './cards';

export type DeclineCode = 'card_declined' | 'insufficient_funds';

/** A charge as the gateway settled it: captured, or declined by the issuer. */
export interface ChargeEntry {
  kind: 'charge';
  id: string;
  idempotency_key: string;
  status: 'captured' | 'declined';
  decline_code?: DeclineCode;
  amount: number;
  currency: string;
  brand: CardBrand;
  last4: string;
  created_at: string;
}

export interface RefundEntry {
  kind: 'refund';
  id: string;
  idempotency_key: string;
  charge_id: string;
  status: 'succeeded';
  amount: number;
  currency: string;
  created_at: string;
}

export type LedgerEntry = ChargeEntry | RefundEntry;

/** What an idempotency key has settled, as far as a request under it is concerned. */
export type Settlement =
  { kind: 'new' } | { kind: 'settled'; entry: LedgerEntry } | { kind: 'conflict' };

/** What booking an entry came to: booked now, or its key was settled meanwhile. */
export type Booking<E extends LedgerEntry> =
  { kind: 'booked'; entry: E } | Exclude<Settlement, { kind: 'new' }>;

/** A captured charge as a refund sees it: locked, with what was refunded of it so far. */
export interface RefundableCharge {
  kind: 'captured';
  entry: ChargeEntry;
  refunded: number;
}

/** A refund's view of the charge it names: missing, not captured (declined), or refundable. */
export type ChargeToRefund = { kind: 'missing' } | { kind: 'not_captured' } | RefundableCharge;

interface LedgerRow {
  id: string;
  kind: 'charge' | 'refund';
  idempotency_key: string;
  fingerprint: string;
  status: string;
  decline_code: DeclineCode | null;
  amount: number;
  currency: string;
  brand: CardBrand | null;
  last4: string | null;
  charge_id: string | null;
  created_at: Date;
}

const COLUMNS = `id, kind, idempotency_key, fingerprint, status, decline_code, amount, currency,
  brand, last4, charge_id, created_at`;

function entryOf(row: LedgerRow): LedgerEntry {
  const created_at = row.created_at.toISOString();
  const { id, idempotency_key, amount, currency } = row;
  if (row.kind === 'refund') {
    const charge_id = row.charge_id ?? '';
    return {
      kind: 'refund',
      id,
      idempotency_key,
      charge_id,
      status: 'succeeded',
      amount,
      currency,
      created_at,
    };
  }
  return {
    kind: 'charge',
    id,
    idempotency_key,
    status: row.status === 'captured' ? 'captured' : 'declined',
    ...(row.decline_code && { decline_code: row.decline_code }),
    amount,
    currency,
    brand: row.brand ?? 'unknown',
    last4: row.last4 ?? '',
    created_at,
  };
}

/**
 * The gateway's books, in PostgreSQL (`gateway_ledger`): every settled charge and refund, and
 * the request fingerprint each idempotency key settled. Keys are shared by charges and
 * refunds (one key, one request), as real gateways scope them per account. Nothing of a
 * charge stays in memory, so the gateway's memory does not grow with its books, and a
 * restarted gateway still answers a repeated key with what it settled.
 *
 * The lookups and charge bookings of concurrent requests go out batched, one statement each
 * per batch. The unique index on the key settles races: of two requests with one key that
 * both found it new, one books, the other gets what the first settled.
 */
export class Ledger {
  /**
   * Requests that reached processing, per key not yet settled. Counted only under
   * `transientFailures` (a test setting), so keys that never settle (a gateway-error card)
   * do not pile up here.
   */
  private readonly attempts = new Map<string, number>();
  private readonly finds: Batcher<string, { fingerprint: string; entry: LedgerEntry } | undefined>;
  private readonly charges: Batcher<{ entry: ChargeEntry; fingerprint: string }, boolean>;

  constructor(private readonly pool: Pool) {
    this.finds = new Batcher(async (keys) => {
      const { rows } = await pool.query<LedgerRow>({
        name: 'gateway_ledger_find',
        text: `SELECT ${COLUMNS} FROM gateway_ledger WHERE idempotency_key = ANY($1::text[])`,
        values: [keys],
      });
      const byKey = new Map(rows.map((r) => [r.idempotency_key, r]));
      return keys.map((key) => {
        const row = byKey.get(key);
        return row && { fingerprint: row.fingerprint, entry: entryOf(row) };
      });
    });
    this.charges = new Batcher(async (bookings) => {
      const column = <T>(pick: (b: { entry: ChargeEntry; fingerprint: string }) => T): T[] =>
        bookings.map(pick);
      const { rows } = await pool.query<{ id: string }>({
        name: 'gateway_ledger_charges',
        text: `INSERT INTO gateway_ledger (id, kind, idempotency_key, fingerprint, status,
            decline_code, amount, currency, brand, last4, created_at)
          SELECT id, 'charge', key, fingerprint, status, decline_code, amount, currency, brand,
            last4, created_at
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[],
              $7::text[], $8::text[], $9::text[], $10::timestamptz[])
              AS t(id, key, fingerprint, status, decline_code, amount, currency, brand, last4,
                created_at)
          ON CONFLICT (idempotency_key) DO NOTHING
          RETURNING id`,
        values: [
          column((b) => b.entry.id),
          column((b) => b.entry.idempotency_key),
          column((b) => b.fingerprint),
          column((b) => b.entry.status),
          column((b) => b.entry.decline_code ?? null),
          column((b) => b.entry.amount),
          column((b) => b.entry.currency),
          column((b) => b.entry.brand),
          column((b) => b.entry.last4),
          column((b) => b.entry.created_at),
        ],
      });
      const booked = new Set(rows.map((r) => r.id));
      return bookings.map((b) => booked.has(b.entry.id));
    });
  }

  /** Every charge and refund, oldest first (for tests: the books of a short run). */
  async entries(): Promise<LedgerEntry[]> {
    const { rows } = await this.pool.query<LedgerRow>(
      `SELECT ${COLUMNS} FROM gateway_ledger ORDER BY seq`,
    );
    return rows.map(entryOf);
  }

  /**
   * Up to `limit` charges and refunds booked after the cursor `after` (0: from the first),
   * oldest first, only those under `key` when given; `next` is the cursor of the page that
   * follows, undefined after the last.
   */
  async page(query: {
    limit: number;
    after: number;
    key?: string;
  }): Promise<{ entries: LedgerEntry[]; next?: number }> {
    const { rows } = await this.pool.query<LedgerRow & { seq: string }>(
      `SELECT seq, ${COLUMNS} FROM gateway_ledger
        WHERE seq > $1 AND ($2::text IS NULL OR idempotency_key = $2)
        ORDER BY seq LIMIT $3`,
      [query.after, query.key ?? null, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      entries: page.map(entryOf),
      ...(rows.length > query.limit && last && { next: Number(last.seq) }),
    };
  }

  /** The captured charges made under an idempotency key: never more than one. */
  async capturesFor(key: string): Promise<ChargeEntry[]> {
    const { rows } = await this.pool.query<LedgerRow>(
      `SELECT ${COLUMNS} FROM gateway_ledger
        WHERE idempotency_key = $1 AND kind = 'charge' AND status = 'captured'`,
      [key],
    );
    return rows.map(entryOf).filter((e): e is ChargeEntry => e.kind === 'charge');
  }

  /** What a charge was refunded so far (0 for none, or no such charge). */
  refundedAmount(chargeId: string): Promise<number> {
    return refundedOf(this.pool, chargeId);
  }

  /** Whether `key` settled something, for the same request (`fingerprint`) or another. */
  async lookup(key: string, fingerprint: string): Promise<Settlement> {
    const found = await this.finds.call(key);
    if (!found) return { kind: 'new' };
    return found.fingerprint === fingerprint
      ? { kind: 'settled', entry: found.entry }
      : { kind: 'conflict' };
  }

  /** Counts a request under `key` that reached processing; returns its 1-based number. */
  attempt(key: string): number {
    const n = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, n);
    return n;
  }

  /** Books a charge under its key, unless the key was settled meanwhile. */
  async bookCharge(entry: ChargeEntry, fingerprint: string): Promise<Booking<ChargeEntry>> {
    const booked = await this.charges.call({ entry, fingerprint });
    return this.afterBooking(entry, fingerprint, booked);
  }

  /**
   * Books the refund `refundFor` makes of the charge `chargeId` (which it may refuse by
   * throwing), unless the key was settled meanwhile. The charge's row stays locked from
   * reading it to booking, so two refunds of one charge cannot both take its last cents.
   */
  async bookRefund(
    chargeId: string,
    fingerprint: string,
    refundFor: (charge: ChargeToRefund) => RefundEntry,
  ): Promise<Booking<RefundEntry>> {
    const refund = await inTransaction(this.pool, async (tx) => {
      const entry = refundFor(await lockedCharge(tx, chargeId));
      const { rowCount } = await tx.query(
        `INSERT INTO gateway_ledger (id, kind, idempotency_key, fingerprint, status, amount,
            currency, charge_id, created_at)
         VALUES ($1, 'refund', $2, $3, 'succeeded', $4, $5, $6, $7)
         ON CONFLICT (idempotency_key) DO NOTHING`,
        [
          entry.id,
          entry.idempotency_key,
          fingerprint,
          entry.amount,
          entry.currency,
          chargeId,
          entry.created_at,
        ],
      );
      return { entry, booked: rowCount === 1 };
    });
    return this.afterBooking(refund.entry, fingerprint, refund.booked);
  }

  private async afterBooking<E extends LedgerEntry>(
    entry: E,
    fingerprint: string,
    booked: boolean,
  ): Promise<Booking<E>> {
    const key = entry.idempotency_key;
    if (booked) {
      this.attempts.delete(key);
      return { kind: 'booked', entry };
    }
    const settled = await this.lookup(key, fingerprint);
    if (settled.kind === 'new') throw new Error(`idempotency key ${key} neither booked nor found`);
    return settled;
  }
}

async function lockedCharge(tx: PoolClient, chargeId: string): Promise<ChargeToRefund> {
  const { rows } = await tx.query<LedgerRow>(
    `SELECT ${COLUMNS} FROM gateway_ledger WHERE id = $1 FOR UPDATE`,
    [chargeId],
  );
  const entry = rows[0] && entryOf(rows[0]);
  if (entry?.kind !== 'charge') return { kind: 'missing' };
  if (entry.status !== 'captured') return { kind: 'not_captured' };
  return { kind: 'captured', entry, refunded: await refundedOf(tx, chargeId) };
}

async function refundedOf(db: Pool | PoolClient, chargeId: string): Promise<number> {
  const { rows } = await db.query<{ refunded: number }>(
    `SELECT coalesce(sum(amount), 0)::int AS refunded FROM gateway_ledger WHERE charge_id = $1`,
    [chargeId],
  );
  return rows[0]?.refunded ?? 0;
}
