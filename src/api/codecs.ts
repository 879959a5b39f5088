import * as E from 'fp-ts/Either';
import * as t from 'io-ts';

/**
 * Branded io-ts codecs for request fields, for `t.exact(t.type({...}))` request codecs. A
 * branded value has passed its check once, so a `Quantity` or a `Uuid` can be trusted
 * wherever it travels. Some also normalise (an email is trimmed and lower-cased, money
 * becomes integer minor units); `encode` goes back to the wire form.
 *
 * Each failure carries a message written for the client; `decode` puts it beside the field.
 */

/** A codec that refines `base` with `check`, failing with `message` (and branding the result). */
function refined<A, B extends A, O>(
  name: string,
  base: t.Type<A, O, unknown>,
  check: (a: A) => a is B,
  message: string,
): t.Type<B, O, unknown> {
  return new t.Type<B, O, unknown>(
    name,
    (u): u is B => base.is(u) && check(u),
    (u, c) => {
      // One message for a wrong type and a wrong value alike: the client needs the rule.
      const decoded = base.validate(u, c);
      return E.isRight(decoded) && check(decoded.right)
        ? t.success(decoded.right)
        : t.failure(u, c, message);
    },
    (b) => base.encode(b),
  );
}

/** A string normalised by `normalise` before `check` (trimming, lower-casing). */
function normalisedString<B extends string>(
  name: string,
  normalise: (s: string) => string,
  check: (s: string) => boolean,
  message: string,
): t.Type<B, string, unknown> {
  return new t.Type<B, string, unknown>(
    name,
    (u): u is B => typeof u === 'string' && u === normalise(u) && check(u),
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c, message);
      const s = normalise(u);
      return check(s) ? t.success(s as B) : t.failure(u, c, message);
    },
    (b) => b,
  );
}

const codePoints = (s: string): number => [...s].length;
// PostgreSQL's text type cannot hold NUL: refuse it here, as a 400, rather than as a 500 there.
const hasNul = (s: string): boolean => s.includes('\u0000');

interface UuidBrand {
  readonly Uuid: unique symbol;
}
/** A UUID in its 8-4-4-4-12 hex form, either case; decoded lower-cased. */
export type Uuid = string & UuidBrand;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const Uuid = normalisedString<Uuid>(
  'Uuid',
  (s) => s.toLowerCase(),
  (s) => UUID_RE.test(s),
  'must be a UUID',
);

interface EmailBrand {
  readonly Email: unique symbol;
}
/** A plausible email address, trimmed and lower-cased, at most 254 characters. */
export type Email = string & EmailBrand;
// One @, no spaces, a dot in the domain; the real check is the mail that arrives.
const EMAIL_RE = /^[^\s@]{1,64}@[^\s@.]+(\.[^\s@.]+)+$/;
export const Email = normalisedString<Email>(
  'Email',
  (s) => s.trim().toLowerCase(),
  (s) => s.length <= 254 && EMAIL_RE.test(s) && !hasNul(s),
  'must be an email address',
);

interface PasswordBrand {
  readonly Password: unique symbol;
}
/** 8 to 128 characters, kept as given (no trimming: spaces may be part of it). */
export type Password = string & PasswordBrand;
export const Password = refined(
  'Password',
  t.string,
  (s): s is Password => codePoints(s) >= 8 && codePoints(s) <= 128 && !hasNul(s),
  'must be 8 to 128 characters',
);

interface NonEmptyStringBrand {
  readonly NonEmptyString: unique symbol;
}
export type NonEmptyString = string & NonEmptyStringBrand;
/** A trimmed string of 1 to `max` characters (code points), without NUL. */
export const NonEmptyString = (max: number): t.Type<NonEmptyString, string, unknown> =>
  normalisedString<NonEmptyString>(
    `NonEmptyString(${max})`,
    (s) => s.trim(),
    (s) => s.length > 0 && codePoints(s) <= max && !hasNul(s),
    `must be 1 to ${max} characters`,
  );

interface CurrencyBrand {
  readonly Currency: unique symbol;
}
/** An ISO 4217 code: three upper-case letters. */
export type Currency = string & CurrencyBrand;
export const Currency = refined(
  'Currency',
  t.string,
  (s): s is Currency => /^[A-Z]{3}$/.test(s),
  'must be a three-letter currency code such as USD',
);

interface IntBrand {
  readonly Int: unique symbol;
}
const isInt = (n: number): boolean => Number.isInteger(n);

interface QuantityBrand {
  readonly Quantity: unique symbol;
}
export const MAX_QUANTITY = 10_000;
/** A whole number of items, 1 to 10,000. */
export type Quantity = number & QuantityBrand & IntBrand;
export const Quantity = refined(
  'Quantity',
  t.number,
  (n): n is Quantity => isInt(n) && n >= 1 && n <= MAX_QUANTITY,
  `must be a whole number from 1 to ${MAX_QUANTITY}`,
);

interface NonNegativeIntBrand {
  readonly NonNegativeInt: unique symbol;
}
/** 2^31 - 1: what a PostgreSQL `integer` column holds; beyond it an insert fails (a 500). */
export const MAX_INT32 = 2_147_483_647;
/** A whole number from 0 to 2^31 - 1 (thresholds, counts). */
export type NonNegativeInt = number & NonNegativeIntBrand & IntBrand;
export const NonNegativeInt = refined(
  'NonNegativeInt',
  t.number,
  (n): n is NonNegativeInt => isInt(n) && n >= 0 && n <= MAX_INT32,
  `must be a whole number from 0 to ${MAX_INT32}`,
);

interface MinorUnitsBrand {
  readonly MinorUnits: unique symbol;
}
/** Money inside orderflow: integer minor units (cents). */
export type MinorUnits = number & MinorUnitsBrand;
/** The largest amount accepted: 10,000,000.00 (10^9 minor units, within a 32-bit integer). */
export const MAX_MONEY_MINOR = 1_000_000_000;
/**
 * Money on the wire: a JSON number ≥ 0 with at most two decimal places (`19.99`), decoded to
 * integer minor units (`1999`) and encoded back. Strings are refused, so `"19.99"` is a 400.
 * `Math.round(n * 100) / 100 === n` holds exactly when `n` is the double nearest some
 * two-place decimal, because both sides are then that same double.
 */
export const Money = new t.Type<MinorUnits, number, unknown>(
  'Money',
  (u): u is MinorUnits => typeof u === 'number' && isInt(u) && u >= 0 && u <= MAX_MONEY_MINOR,
  (u, c) => {
    const message = 'must be an amount ≥ 0 with at most two decimal places, up to 10000000';
    if (typeof u !== 'number' || !Number.isFinite(u) || u < 0) return t.failure(u, c, message);
    const minor = Math.round(u * 100);
    if (minor / 100 !== u || minor > MAX_MONEY_MINOR) return t.failure(u, c, message);
    return t.success((minor + 0) as MinorUnits); // + 0 turns -0 into 0
  },
  (minor) => minor / 100,
);

interface LimitBrand {
  readonly Limit: unique symbol;
}
export const MAX_LIMIT = 100;
/** A page size from the query string (`?limit=20`): 1 to 100, decoded to a number. */
export type Limit = number & LimitBrand;
export const Limit = new t.Type<Limit, string, unknown>(
  'Limit',
  (u): u is Limit => typeof u === 'number' && isInt(u) && u >= 1 && u <= MAX_LIMIT,
  (u, c) => {
    const n = typeof u === 'string' && /^\d{1,3}$/.test(u) ? Number(u) : NaN;
    return n >= 1 && n <= MAX_LIMIT
      ? t.success(n as Limit)
      : t.failure(u, c, `must be a whole number from 1 to ${MAX_LIMIT}`);
  },
  (n) => String(n),
);

interface CursorBrand {
  readonly Cursor: unique symbol;
}
/** An opaque page cursor as the API hands it out: base64url, at most 512 characters. */
export type Cursor = string & CursorBrand;
export const Cursor = refined(
  'Cursor',
  t.string,
  (s): s is Cursor => /^[A-Za-z0-9_-]{1,512}$/.test(s),
  'must be a cursor returned by a previous page',
);

/** Turns a value into a cursor (base64url of its JSON). */
export function encodeCursor(value: unknown): Cursor {
  return Buffer.from(JSON.stringify(value)).toString('base64url') as Cursor;
}

/** The value inside a cursor, or undefined when it is not one of ours (then answer 400). */
export function decodeCursor(cursor: Cursor): unknown {
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
