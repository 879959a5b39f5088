import { Map as ImmutableMap } from 'immutable';

export type ClosedAs = 'released' | 'committed';

/**
 * Entries in the newest, immutable generation before it is frozen. Small: every product keeps
 * one such generation, at about 250 bytes an entry.
 */
export const GENERATION = 128;

/**
 * How each order's closed reservation on one product ended, by order id: a persistent map
 * (every `set` returns a new one and leaves the old one intact, as decider states must be)
 * that costs about a third of an immutable map per entry.
 *
 * A product's inventory keeps every closed reservation for good (a cancelled processed
 * order must find its units committed; a repeated reservation must find it closed), so
 * these outnumber the open ones by far and grow with every order. The newest entries sit in
 * a small immutable map; every GENERATION of them are frozen into a plain `Map`, which is
 * never written again, and frozen maps of equal size are merged as a binary counter
 * carries: at most log2(n / GENERATION) of them, each entry copied O(log n) times.
 * Lookups go newest first, so a later status of an order hides an earlier one.
 */
export class ClosedReservations {
  static readonly empty = new ClosedReservations(ImmutableMap(), []);

  private constructor(
    private readonly recent: ImmutableMap<string, ClosedAs>,
    /** Newest first; never mutated once made. */
    private readonly frozen: readonly ReadonlyMap<string, ClosedAs>[],
  ) {}

  get(orderId: string): ClosedAs | undefined {
    const recent = this.recent.get(orderId);
    if (recent !== undefined) return recent;
    for (const generation of this.frozen) {
      const status = generation.get(orderId);
      if (status !== undefined) return status;
    }
    return undefined;
  }

  set(orderId: string, status: ClosedAs): ClosedReservations {
    const recent = this.recent.set(orderId, status);
    if (recent.size < GENERATION) return new ClosedReservations(recent, this.frozen);
    let merged = new Map(recent);
    let older = this.frozen;
    while (older[0] !== undefined && older[0].size <= merged.size) {
      merged = new Map([...older[0], ...merged]); // the newer status wins
      older = older.slice(1);
    }
    return new ClosedReservations(ImmutableMap(), [merged, ...older]);
  }

  /** Generations of frozen maps (for tests: at most log2 of the entries over GENERATION). */
  get generations(): number {
    return this.frozen.length;
  }
}
