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

/** A response the gateway gave for an idempotency key, replayed to every repeat. */
export interface StoredReply {
  status: number;
  body: unknown;
}

export type Replay =
  { kind: 'new' } | { kind: 'replay'; reply: StoredReply } | { kind: 'conflict' };

/**
 * The gateway's books: every settled charge and refund, and the reply given for each
 * idempotency key. In memory: it lives exactly as long as the gateway process, as a sandbox
 * account that is wiped on restart. Keys are shared by charges and refunds (one key, one
 * request), as real gateways scope them per account.
 */
export class Ledger {
  private readonly books: LedgerEntry[] = [];
  private readonly replies = new Map<string, { fingerprint: string; reply: StoredReply }>();
  private readonly attempts = new Map<string, number>();

  /** Every charge and refund, oldest first. */
  entries(): LedgerEntry[] {
    return this.books.map((entry) => ({ ...entry }));
  }

  /** The captured charges made under an idempotency key: never more than one. */
  capturesFor(key: string): ChargeEntry[] {
    return this.books.filter(
      (e): e is ChargeEntry =>
        e.kind === 'charge' && e.status === 'captured' && e.idempotency_key === key,
    );
  }

  /** Whether `key` was answered before, for the same request (`fingerprint`) or another. */
  /** Whether a result is stored under `key` (an idempotent replay answers at once). */
  settled(key: string): boolean {
    return this.replies.has(key);
  }

  lookup(key: string, fingerprint: string): Replay {
    const stored = this.replies.get(key);
    if (!stored) return { kind: 'new' };
    return stored.fingerprint === fingerprint
      ? { kind: 'replay', reply: stored.reply }
      : { kind: 'conflict' };
  }

  /** Counts a request under `key` that reached processing; returns its 1-based number. */
  attempt(key: string): number {
    const n = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, n);
    return n;
  }

  /** Books an entry and the reply its key will replay, in one step (no await between). */
  settle(entry: LedgerEntry, fingerprint: string, reply: StoredReply): void {
    this.books.push(entry);
    this.replies.set(entry.idempotency_key, { fingerprint, reply });
  }

  capturedCharge(id: string): ChargeEntry | undefined {
    return this.books.find(
      (e): e is ChargeEntry => e.kind === 'charge' && e.id === id && e.status === 'captured',
    );
  }

  chargeExists(id: string): boolean {
    return this.books.some((e) => e.kind === 'charge' && e.id === id);
  }

  refundedAmount(chargeId: string): number {
    return this.books
      .filter((e): e is RefundEntry => e.kind === 'refund' && e.charge_id === chargeId)
      .reduce((sum, e) => sum + e.amount, 0);
  }
}
