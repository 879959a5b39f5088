import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import {
  Currency,
  Cursor,
  Limit,
  Money,
  NonEmptyString,
  NonNegativeInt,
  decodeCursor,
  encodeCursor,
} from '../api/codecs';
import { badRequest } from '../api/problem';
import type { ProductKey } from './products.queries';

/** Request codecs of the catalog routes (`decode` them with `t.exact`: unknown fields drop). */

/** Free text: trimmed, up to `max` characters, without NUL; may be empty. */
export const Text = (max: number): t.Type<string, string, unknown> =>
  new t.Type<string, string, unknown>(
    `Text(${max})`,
    (u): u is string => typeof u === 'string',
    (u, c) =>
      typeof u === 'string' && [...u.trim()].length <= max && !u.includes('\u0000')
        ? t.success(u.trim())
        : t.failure(u, c, `must be text of at most ${max} characters`),
    (s) => s,
  );

/** A SKU: letters, digits, `.`, `_`, `-`; 1 to 64 characters, starting with a letter or digit. */
export const Sku = new t.Type<string, string, unknown>(
  'Sku',
  (u): u is string => typeof u === 'string',
  (u, c) =>
    typeof u === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(u.trim())
      ? t.success(u.trim())
      : t.failure(u, c, 'must be 1 to 64 letters, digits, ".", "_" or "-"'),
  (s) => s,
);

export const CategoryName = NonEmptyString(100);

/** Up to 20 category names. */
export const CategoryNames = new t.Type<string[], string[], unknown>(
  'CategoryNames',
  (u): u is string[] => Array.isArray(u) && u.every((x) => typeof x === 'string'),
  (u, c) => {
    if (Array.isArray(u) && u.length > 20)
      return t.failure(u, c, 'must list at most 20 categories');
    return t.array(CategoryName).validate(u, c);
  },
  (names) => names,
);

/**
 * An optional field of a `t.type`: absent (or undefined) or valid. Used instead of
 * `t.exact(t.intersection([t.type, t.partial]))`, which `decode` names as `body[0].name`.
 */
const optional = <A, O>(codec: t.Type<A, O, unknown>) =>
  new t.Type<A | undefined, O | undefined, unknown>(
    codec.name,
    (u): u is A | undefined => u === undefined || codec.is(u),
    (u, c) => (u === undefined ? t.success(undefined) : codec.validate(u, c)),
    (a) => (a === undefined ? undefined : codec.encode(a)),
  );

export const CreateProductBody = t.exact(
  t.type({
    name: NonEmptyString(200),
    description: Text(5000),
    price: Money,
    currency: optional(Currency),
    sku: optional(Sku),
    category: optional(CategoryName),
    categories: optional(CategoryNames),
    quantity: optional(NonNegativeInt),
    reorder_threshold: optional(NonNegativeInt),
  }),
);

export const UpdateProductBody = t.exact(
  t.partial({
    name: NonEmptyString(200),
    description: Text(5000),
    price: Money,
    currency: Currency,
    sku: Sku,
    category: CategoryName,
    categories: CategoryNames,
  }),
);

/** `category` and `categories` together name one list; absent both: undefined. */
export function categoriesOf(body: {
  category?: string;
  categories?: string[];
}): string[] | undefined {
  if (body.category === undefined && body.categories === undefined) return undefined;
  return [...(body.categories ?? []), ...(body.category === undefined ? [] : [body.category])];
}

/** A decimal amount in the query string (`?min_price=9.5`), decoded to minor units. */
export const MoneyQuery = new t.Type<number, string, unknown>(
  'MoneyQuery',
  (u): u is number => typeof u === 'number',
  (u, c) =>
    typeof u === 'string' && /^\d{1,8}(\.\d{1,2})?$/.test(u)
      ? t.success(Math.round(Number(u) * 100))
      : t.failure(u, c, 'must be an amount such as 19.99'),
  (n) => (n / 100).toFixed(2),
);

export const ListProductsQuery = t.exact(
  t.partial({
    category: CategoryName,
    min_price: MoneyQuery,
    max_price: MoneyQuery,
    q: NonEmptyString(200),
    limit: Limit,
    cursor: Cursor,
  }),
);

export const CreateCategoryBody = t.exact(
  t.type({ name: CategoryName, description: optional(Text(1000)) }),
);

const ProductKeyCodec = t.type({ c: t.string, i: t.string });

export const productCursor = (key: ProductKey): Cursor =>
  encodeCursor({ c: key.createdAt, i: key.id });

/** The key inside a products cursor, or a 400 naming `query.cursor`. */
export function productKeyOf(cursor: Cursor): ProductKey {
  const decoded = ProductKeyCodec.decode(decodeCursor(cursor));
  const valid =
    E.isRight(decoded) &&
    !Number.isNaN(Date.parse(decoded.right.c)) &&
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(decoded.right.i);
  if (!valid) {
    throw badRequest([
      { field: 'query.cursor', message: 'must be a cursor returned by a previous page' },
    ]);
  }
  return { createdAt: decoded.right.c, id: decoded.right.i };
}
