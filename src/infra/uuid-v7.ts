import { randomUUID } from 'node:crypto';

const MAX_MS = 2 ** 48 - 1;

/**
 * A UUID version 7 (RFC 9562 section 5.7): the Unix time in milliseconds in its first 48
 * bits, then 74 random bits (those of a v4 UUID: `randomUUID` draws from a cached pool of
 * random bytes). Ids made this way arrive in about time order, so a B-tree keyed by them
 * grows at its right edge; a random key lands on a random page of the index each time,
 * which costs the database more CPU and, once the index outgrows its cache, a disk read
 * (figures in the README's "Keys are time-ordered" note). Ids made in the same millisecond
 * are in no particular order among themselves. The time an id shows is its creation time,
 * which the records it names show anyway (`created_at`); 74 random bits keep it unguessable.
 */
export function uuidV7(nowMs: number = Date.now()): string {
  if (!Number.isSafeInteger(nowMs) || nowMs < 0 || nowMs > MAX_MS) {
    throw new RangeError(`uuidV7: ${nowMs} is not a time in 48 bits of milliseconds`);
  }
  const time = nowMs.toString(16).padStart(12, '0');
  // A v4 UUID is xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx: keep from the version nibble on.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}

const FIRST_UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/;

/**
 * The 48-bit time field (`xxxxxxxx-xxxx`, as written) of the first UUID in `text` when that
 * UUID is time-ordered: version 7, or version 8 as `deterministicEventId` makes them from
 * a version 7. Otherwise `undefined`. Only lower-case UUIDs are looked at (ours are).
 */
export function timeFieldOf(text: string): string | undefined {
  const uuid = FIRST_UUID.exec(text)?.[0];
  if (uuid === undefined) return undefined;
  const version = uuid[14];
  return version === '7' || version === '8' ? uuid.slice(0, 13) : undefined;
}
