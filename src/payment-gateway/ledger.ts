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
 * It grows with every charge, so it keeps each one once and small: a replay is rendered
 * from the entry, fingerprints are short digests, entries are indexed by id in one map
 * (which also keeps them in booking order), and the short strings that repeat from entry to
 * entry (currency, last four digits) are shared.
 */
export class Ledger {
  /** Every charge and refund by id, in booking order. */
  private readonly booked = new Map<string, LedgerEntry>();
  private readonly byKey = new Map<string, Settled>();
  private readonly refunded = new Map<string, number>();
  /** Requests that reached processing, per key not yet settled. */
  private readonly attempts = new Map<string, number>();

  /** Every charge and refund, oldest first. */
  entries(): LedgerEntry[] {
    return [...this.booked.values()].map((entry) => ({ ...entry }));
  }

  /** The captured charges made under an idempotency key: never more than one. */
  capturesFor(key: string): ChargeEntry[] {
    return [...this.booked.values()].filter(
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
    // A refund's currency is its charge's, already the shared copy.
    const kept: LedgerEntry =
      entry.kind === 'charge'
        ? { ...entry, currency: shared(entry.currency), last4: shared(entry.last4) }
        : entry;
    this.booked.set(kept.id, kept);
    this.byKey.set(kept.idempotency_key, { fingerprint, entry: kept, ...(reply && { reply }) });
    this.attempts.delete(kept.idempotency_key);
    if (kept.kind === 'refund') {
      this.refunded.set(kept.charge_id, this.refundedAmount(kept.charge_id) + kept.amount);
    }
  }

  capturedCharge(id: string): ChargeEntry | undefined {
    const entry = this.booked.get(id);
    return entry?.kind === 'charge' && entry.status === 'captured' ? entry : undefined;
  }

  chargeExists(id: string): boolean {
    return this.booked.get(id)?.kind === 'charge';
  }

  refundedAmount(chargeId: string): number {
    return this.refunded.get(chargeId) ?? 0;
  }
}

/**
 * One copy of each short string the entries repeat. Bounded by what such fields can hold:
 * three-letter currencies and four digits make at most 27,576 strings.
 */
const sharedStrings = new Map<string, string>();
function shared(value: string): string {
  if (value.length > 4) return value;
  const known = sharedStrings.get(value);
  if (known !== undefined) return known;
  sharedStrings.set(value, value);
  return value;
}
