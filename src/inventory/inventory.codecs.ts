import * as E from 'fp-ts/Either';
import * as t from 'io-ts';
import {
  Cursor,
  Limit,
  MAX_INT32,
  NonEmptyString,
  NonNegativeInt,
  decodeCursor,
  encodeCursor,
} from '../api/codecs';
import { badRequest, type FieldError } from '../api/problem';

/** Request codecs of the inventory routes. */

const wholeNumber = (name: string, ok: (n: number) => boolean, message: string) =>
  new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === 'number' && ok(u),
    (u, c) => (typeof u === 'number' && ok(u) ? t.success(u) : t.failure(u, c, message)),
    (n) => n,
  );

/** Units received: 1 to 2^31 - 1 (a delivery may well exceed an order line's 10,000). */
export const Restocked = wholeNumber(
  'Restocked',
  (n) => Number.isInteger(n) && n >= 1 && n <= MAX_INT32,
  `must be a whole number from 1 to ${MAX_INT32}`,
);

/** A correction of the count on hand: a non-zero whole number, negative to remove units. */
export const Adjustment = wholeNumber(
  'Adjustment',
  (n) => Number.isInteger(n) && n !== 0 && Math.abs(n) <= MAX_INT32,
  `must be a non-zero whole number from -${MAX_INT32} to ${MAX_INT32}`,
);

export const RestockBody = t.exact(t.type({ quantity: Restocked }));

const UpdateInventoryFields = t.exact(
  t.partial({
    reorder_threshold: NonNegativeInt,
    adjustment: Adjustment,
    reason: NonEmptyString(500),
  }),
);
export type UpdateInventoryBody = t.TypeOf<typeof UpdateInventoryFields>;

/**
 * `{reorder_threshold}` and/or `{adjustment, reason}`: at least one change, and an
 * adjustment always with its reason (and a reason only with an adjustment).
 */
export const UpdateInventoryBody = new t.Type<UpdateInventoryBody, unknown, unknown>(
  'UpdateInventoryBody',
  UpdateInventoryFields.is,
  (u, c) => {
    const decoded = UpdateInventoryFields.validate(u, c);
    if (E.isLeft(decoded)) return decoded;
    const body = decoded.right;
    const missing: Array<[string, string]> = [];
    if (body.adjustment !== undefined && body.reason === undefined)
      missing.push(['reason', 'is required with an adjustment']);
    if (body.reason !== undefined && body.adjustment === undefined)
      missing.push(['adjustment', 'is required with a reason']);
    if (body.adjustment === undefined && body.reorder_threshold === undefined)
      missing.push(['reorder_threshold', 'is required unless an adjustment is given']);
    if (missing.length === 0) return t.success(body);
    return t.failures(
      missing.map(([key, message]) => ({
        value: undefined,
        context: [...c, { key, type: t.unknown, actual: undefined }],
        message,
      })),
    );
  },
  UpdateInventoryFields.encode,
);

export const ListInventoryQuery = t.exact(
  t.partial({ low_stock: t.keyof({ true: null, false: null }), limit: Limit, cursor: Cursor }),
);

export const inventoryCursor = (productId: string): Cursor => encodeCursor({ i: productId });

/** The product id inside an inventory cursor, or a 400 naming `query.cursor`. */
export function inventoryKeyOf(cursor: Cursor): string {
  const value = decodeCursor(cursor) as { i?: unknown } | undefined;
  const id = typeof value === 'object' && value !== null ? value.i : undefined;
  if (
    typeof id === 'string' &&
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id)
  )
    return id;
  const error: FieldError = {
    field: 'query.cursor',
    message: 'must be a cursor returned by a previous page',
  };
  throw badRequest([error]);
}
