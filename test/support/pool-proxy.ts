import type { Pool, PoolClient } from 'pg';

type Query = (...args: unknown[]) => unknown;

/**
 * The pool with every `query` call going through `around` (count, delay or fail it; call
 * `query` to send it on); everything else reaches the real pool. With `clients`, the queries
 * of clients checked out with `connect()` go through `around` as well (code that takes a
 * client for a single statement, such as the event store's appends).
 */
export function aroundQuery(
  pool: Pool,
  around: (args: unknown[], query: Query) => unknown,
  options: { clients?: boolean } = {},
): Pool {
  return new Proxy(pool, {
    get(target, property, receiver) {
      if (property === 'query') {
        const query: Query = (...args) => (target.query as Query)(...args);
        return (...args: unknown[]) => around(args, query);
      }
      if (property === 'connect' && options.clients) {
        return async (...callback: unknown[]) => {
          // `pool.query` passes a callback: that path is already wrapped above.
          if (callback.length > 0) return (target.connect as Query)(...callback);
          const client = await target.connect();
          return aroundClient(client, around);
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

function aroundClient(client: PoolClient, around: (args: unknown[], query: Query) => unknown) {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'query') return Reflect.get(target, property, receiver) as unknown;
      const query: Query = (...args) => (target.query as Query).apply(target, args);
      return (...args: unknown[]) => around(args, query);
    },
  });
}
