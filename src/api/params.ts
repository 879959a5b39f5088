import type Koa from 'koa';
import { Uuid } from './codecs';
import { notFound } from './problem';

/**
 * The path parameter `name` as a `Uuid` (lower-cased), or a 404 when it is not one.
 *
 * The contract allows 400 or 404 for a malformed id; orderflow answers 404 for ids in a
 * path (`/products/not-a-uuid` names a resource that cannot exist, just like an unknown id)
 * and 400 for ids in a body or query (`body.items[0].product_id` is a bad field, decoded
 * with the `Uuid` codec). Never a 500: a malformed id never reaches the database.
 */
export function uuidParam(ctx: Pick<Koa.Context, 'params'>, name: string): Uuid {
  const value: unknown = (ctx.params as Record<string, unknown> | undefined)?.[name];
  const decoded = Uuid.decode(value);
  if (decoded._tag === 'Left') throw notFound();
  return decoded.right;
}
