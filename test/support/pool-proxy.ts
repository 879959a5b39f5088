import type { Pool } from 'pg';

type Query = (...args: unknown[]) => unknown;

/**
 * The pool with every `query` call going through `around` (count, delay or fail it; call
 * `query` to send it on); everything else reaches the real pool.
 */
export function aroundQuery(pool: Pool, around: (args: unknown[], query: Query) => unknown): Pool {
  return new Proxy(pool, {
    get(target, property, receiver) {
      if (property === 'query') {
        const query: Query = (...args) => (target.query as Query)(...args);
        return (...args: unknown[]) => around(args, query);
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}
