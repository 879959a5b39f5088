import * as t from 'io-ts';
import { luhnValid } from './cards';

/** A codec that accepts what `parse` turns into a value, failing with `message`. */
function refined<A>(
  name: string,
  message: string,
  parse: (u: unknown) => A | undefined,
): t.Type<A, A, unknown> {
  return new t.Type<A, A, unknown>(
    name,
    (u): u is A => parse(u) !== undefined,
    (u, c) => {
      const parsed = parse(u);
      return parsed === undefined ? t.failure(u, c, message) : t.success(parsed);
    },
    t.identity,
  );
}

/** Digits, spaces or dashes allowed between groups; Luhn-valid. Decodes to the bare digits. */
export const CardNumber = refined(
  'CardNumber',
  'must be a valid card number (12-19 digits passing the Luhn check)',
  (u) => {
    if (typeof u !== 'string' || !/^[\d -]+$/.test(u)) return undefined;
    const digits = u.replace(/[ -]/g, '');
    return luhnValid(digits) ? digits : undefined;
  },
);

const intIn = (name: string, min: number, max: number) =>
  refined(name, `must be an integer from ${min} to ${max}`, (u) =>
    typeof u === 'number' && Number.isInteger(u) && u >= min && u <= max ? u : undefined,
  );

/** Four digits, or two meaning 20xx, as card forms take it. */
const ExpYear = refined('ExpYear', 'must be a year (YYYY or YY)', (u) => {
  if (typeof u !== 'number' || !Number.isInteger(u)) return undefined;
  if (u >= 0 && u < 100) return 2000 + u;
  return u >= 2000 && u <= 2199 ? u : undefined;
});

const Cvc = refined('Cvc', 'must be 3 or 4 digits', (u) =>
  typeof u === 'string' && /^\d{3,4}$/.test(u) ? u : undefined,
);

/** Integer minor units (cents); a charge of zero is refused, as card networks do. */
export const Amount = intIn('Amount', 1, 99_999_999);

/** ISO 4217 code; lower case is accepted and upper-cased. */
const Currency = refined('Currency', 'must be a 3-letter ISO 4217 currency code', (u) =>
  typeof u === 'string' && /^[A-Za-z]{3}$/.test(u) ? u.toUpperCase() : undefined,
);

const IdempotencyKey = refined('IdempotencyKey', 'must be 1 to 255 characters', (u) =>
  typeof u === 'string' && u.length >= 1 && u.length <= 255 ? u : undefined,
);

export const TokenRequest = t.exact(
  t.type({
    card_number: CardNumber,
    exp_month: intIn('ExpMonth', 1, 12),
    exp_year: ExpYear,
    cvc: Cvc,
  }),
);
export type TokenRequest = t.TypeOf<typeof TokenRequest>;

export const ChargeRequest = t.exact(
  t.type({ amount: Amount, currency: Currency, token: t.string, idempotency_key: IdempotencyKey }),
);
export type ChargeRequest = t.TypeOf<typeof ChargeRequest>;

export const RefundRequest = t.exact(
  t.intersection([
    t.type({ charge_id: t.string, idempotency_key: IdempotencyKey }),
    t.partial({ amount: Amount }),
  ]),
);
export type RefundRequest = t.TypeOf<typeof RefundRequest>;

/** A whole number from the query string, `min` to `max`. */
const queryIntIn = (name: string, min: number, max: number) =>
  refined(name, `must be a whole number from ${min} to ${max}`, (u) => {
    const n = typeof u === 'string' && /^\d{1,18}$/.test(u) ? Number(u) : NaN;
    return n >= min && n <= max ? n : undefined;
  });

export const MAX_LEDGER_PAGE = 1_000;

/**
 * `GET /v1/ledger`: a page of the books, oldest first. `after`: the `next_cursor` of the
 * previous page; `idempotency_key`: only what that key booked.
 */
export const LedgerQuery = t.exact(
  t.partial({
    limit: queryIntIn('Limit', 1, MAX_LEDGER_PAGE),
    after: queryIntIn('Cursor', 0, Number.MAX_SAFE_INTEGER),
    idempotency_key: IdempotencyKey,
  }),
);
export type LedgerQuery = t.TypeOf<typeof LedgerQuery>;
