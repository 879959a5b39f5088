import { Map as ImmutableMap } from 'immutable';

export type ClosedAs = 'released' | 'committed';

/**
 * Entries in the newest, immutable generation before it is frozen. Small: every product keeps
 * one such generation, at about 250 bytes an entry.
 */
export const GENERATION = 128;

/**
 * How each order's closed reservation on one product ended, by order id: a persistent map
 * (every `set` returns a new one and leaves the old one intact, as decider states must be).
 *
 * A product's inventory keeps every closed reservation for good (a cancelled processed
 * order must find its units committed; a repeated reservation must find it closed), so
 * these outnumber the open ones by far and grow with every order. The newest entries sit in
 * a small immutable map; every GENERATION of them are frozen into a packed `Generation`,
 * which is never written again, and frozen generations of equal size are merged as a binary
 * counter carries: at most log2(n / GENERATION) of them, each entry copied O(log n) times.
 * Lookups go newest first, so a later status of an order hides an earlier one.
 */
export class ClosedReservations {
  static readonly empty = new ClosedReservations(ImmutableMap(), []);

  private constructor(
    private readonly recent: ImmutableMap<string, ClosedAs>,
    /** Newest first; never mutated once made. */
    private readonly frozen: readonly Generation[],
  ) {}

  get(orderId: string): ClosedAs | undefined {
    const recent = this.recent.get(orderId);
    if (recent !== undefined || this.frozen.length === 0) return recent;
    const key = packedKey(orderId);
    for (const generation of this.frozen) {
      const status = generation.get(orderId, key);
      if (status !== undefined) return status;
    }
    return undefined;
  }

  set(orderId: string, status: ClosedAs): ClosedReservations {
    const recent = this.recent.set(orderId, status);
    if (recent.size < GENERATION) return new ClosedReservations(recent, this.frozen);
    let merged = Generation.of(recent);
    let older = this.frozen;
    while (older[0] !== undefined && older[0].size <= merged.size) {
      merged = Generation.merge(older[0], merged);
      older = older.slice(1);
    }
    return new ClosedReservations(ImmutableMap(), [merged, ...older]);
  }

  /** Generations of frozen maps (for tests: at most log2 of the entries over GENERATION). */
  get generations(): number {
    return this.frozen.length;
  }
}

const STATUS: readonly ClosedAs[] = ['released', 'committed'];
const LOWER_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A lowercase UUID (what orderflow makes order ids of) as four 32-bit words, else undefined.
 * Only the lowercase form, so a packed key turns back into exactly one string.
 */
function packedKey(id: string): Uint32Array | undefined {
  if (id.length !== 36 || !LOWER_UUID.test(id)) return undefined;
  return Uint32Array.of(
    parseInt(id.slice(0, 8), 16),
    parseInt(id.slice(9, 13) + id.slice(14, 18), 16),
    parseInt(id.slice(19, 23) + id.slice(24, 28), 16),
    parseInt(id.slice(28, 36), 16),
  );
}

/** Compares key `i` of `a` with key `j` of `b` (4 words a key), word by word. */
function compareKeys(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  for (let w = 0; w < 4; w++) {
    const d = a[i * 4 + w]! - b[j * 4 + w]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * A frozen generation: UUID order ids packed 16 bytes each in sorted order, with a status byte
 * each, found by binary search; any other id in a plain map. Measured with 200,000 UUIDs: 19
 * bytes an entry, where frozen plain maps took 85 (and the ids' strings with them).
 */
class Generation {
  private constructor(
    private readonly words: Uint32Array,
    private readonly statuses: Uint8Array,
    private readonly others: ReadonlyMap<string, ClosedAs>,
  ) {}

  get size(): number {
    return this.statuses.length + this.others.size;
  }

  /** `key`: `orderId` packed (undefined when it is not a lowercase UUID). */
  get(orderId: string, key: Uint32Array | undefined): ClosedAs | undefined {
    if (key === undefined) return this.others.get(orderId);
    let [low, high] = [0, this.statuses.length - 1];
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const d = compareKeys(this.words, mid, key, 0);
      if (d === 0) return STATUS[this.statuses[mid]!];
      if (d < 0) low = mid + 1;
      else high = mid - 1;
    }
    return undefined;
  }

  static of(entries: ImmutableMap<string, ClosedAs>): Generation {
    const packed: { key: Uint32Array; status: number }[] = [];
    const others = new Map<string, ClosedAs>();
    for (const [id, status] of entries) {
      const key = packedKey(id);
      if (key) packed.push({ key, status: STATUS.indexOf(status) });
      else others.set(id, status);
    }
    packed.sort((a, b) => compareKeys(a.key, 0, b.key, 0));
    const words = new Uint32Array(packed.length * 4);
    const statuses = new Uint8Array(packed.length);
    packed.forEach(({ key, status }, i) => {
      words.set(key, i * 4);
      statuses[i] = status;
    });
    return new Generation(words, statuses, others);
  }

  /** One generation of both; where both hold an order, `newer`'s status wins. */
  static merge(older: Generation, newer: Generation): Generation {
    const [a, b] = [older, newer];
    const capacity = a.statuses.length + b.statuses.length;
    const words = new Uint32Array(capacity * 4);
    const statuses = new Uint8Array(capacity);
    let [i, j, n] = [0, 0, 0];
    const take = (from: Generation, k: number) => {
      words.set(from.words.subarray(k * 4, k * 4 + 4), n * 4);
      statuses[n++] = from.statuses[k]!;
    };
    while (i < a.statuses.length || j < b.statuses.length) {
      const d =
        i === a.statuses.length
          ? 1
          : j === b.statuses.length
            ? -1
            : compareKeys(a.words, i, b.words, j);
      if (d < 0) take(a, i++);
      else if (d > 0) take(b, j++);
      else {
        take(b, j++); // the newer status
        i++;
      }
    }
    const others = new Map([...a.others, ...b.others]);
    return new Generation(words.slice(0, n * 4), statuses.slice(0, n), others);
  }
}
