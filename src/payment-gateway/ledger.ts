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

/** A ledger entry as the API shows it: `object` names the resource, as gateways do. */
export function resourceOf(entry: LedgerEntry): Record<string, unknown> {
  const { kind, ...fields } = entry;
  return { object: kind, ...fields };
}

/** What an idempotency key settled: its request's fingerprint and the entry it booked. */
interface Settled {
  fingerprint: string;
  entry: LedgerEntry;
  /** The reply, when it is not simply the entry with 201 (a declined charge). */
  reply?: StoredReply;
}

/**
 * The gateway's books: every settled charge and refund, and what each idempotency key
 * settled. In memory: it lives exactly as long as the gateway process, as a sandbox account
 * that is wiped on restart. Keys are shared by charges and refunds (one key, one request),
 * as real gateways scope them per account.
 *
 * It grows with every charge, so it keeps each one once: a replay is rendered from the
 * entry, fingerprints are digests, and charges and refunds are indexed by charge id.
 */
export class Ledger {
  private readonly books: LedgerEntry[] = [];
  private readonly byKey = new Map<string, Settled>();
  private readonly charges = new Map<string, ChargeEntry>();
  private readonly refunded = new Map<string, number>();
  /** Requests that reached processing, per key not yet settled. */
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

  /** Whether a result is stored under `key` (an idempotent replay answers at once). */
  settled(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Whether `key` was answered before, for the same request (`fingerprint`) or another. */
  lookup(key: string, fingerprint: string): Replay {
    const stored = this.byKey.get(key);
    if (!stored) return { kind: 'new' };
    if (stored.fingerprint !== fingerprint) return { kind: 'conflict' };
    return {
      kind: 'replay',
      reply: stored.reply ?? { status: 201, body: resourceOf(stored.entry) },
    };
  }

  /** Counts a request under `key` that reached processing; returns its 1-based number. */
  attempt(key: string): number {
    const n = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, n);
    return n;
  }

  /**
   * Books an entry under its key, in one step (no await between). `reply`: what repeats
   * get when it is not the entry itself with 201.
   */
  settle(entry: LedgerEntry, fingerprint: string, reply?: StoredReply): void {
    this.books.push(entry);
    this.byKey.set(entry.idempotency_key, { fingerprint, entry, ...(reply && { reply }) });
    this.attempts.delete(entry.idempotency_key);
    if (entry.kind === 'charge') this.charges.set(entry.id, entry);
    else this.refunded.set(entry.charge_id, this.refundedAmount(entry.charge_id) + entry.amount);
  }

  capturedCharge(id: string): ChargeEntry | undefined {
    const charge = this.charges.get(id);
    return charge?.status === 'captured' ? charge : undefined;
  }

  chargeExists(id: string): boolean {
    return this.charges.has(id);
  }

  refundedAmount(chargeId: string): number {
    return this.refunded.get(chargeId) ?? 0;
  }
}
