import * as t from 'io-ts';
import type { PoolClient } from 'pg';
import { assertNever } from '../domain/decider';
import { categoryKey } from '../domain/catalog/category.decider';
import { CategoryEvent } from '../domain/catalog/category.events';
import { ProductEvent } from '../domain/catalog/product.events';
import type { RecordedEvent } from '../eventstore';
import { decodeRecorded, type ProjectionDefinition } from './projection';

/**
 * The catalog read model: `products` (deleted ones kept, marked by `deleted_at`),
 * `categories`, and `product_categories` (a product's category names in the order given,
 * joined to `categories` by their case-insensitive key).
 *
 * `last_position` guards each product row: an event at or below it was applied already and
 * changes nothing, so a replay over existing rows is harmless.
 */
export const PRODUCTS_PROJECTION = 'products';

const Event = t.union([ProductEvent, CategoryEvent]);
type Event = t.TypeOf<typeof Event>;

const schema = `
CREATE TABLE products (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  description text NOT NULL,
  price_minor bigint NOT NULL,
  currency text NOT NULL,
  sku text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  last_position bigint NOT NULL
);
-- The listing's order (created_at, id) over live products: what keyset pagination walks.
CREATE INDEX products_live_order_idx ON products (created_at, id) WHERE deleted_at IS NULL;

CREATE TABLE categories (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  name_key text NOT NULL UNIQUE,
  description text,
  created_at timestamptz NOT NULL
);

CREATE TABLE product_categories (
  product_id uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
  name_key text NOT NULL,
  name text NOT NULL,
  ordinal integer NOT NULL,
  PRIMARY KEY (product_id, name_key)
);
CREATE INDEX product_categories_key_idx ON product_categories (name_key, product_id);
`;

export const productsProjection: ProjectionDefinition = {
  kind: 'projection',
  name: PRODUCTS_PROJECTION,
  filter: { streamPrefixes: ['product-', 'category-'] },
  migrations: {
    component: 'projection:products',
    migrations: [{ version: 1, name: 'products, categories, product_categories', sql: schema }],
  },
  tables: ['product_categories', 'products', 'categories'],
  async handle(events, tx) {
    for (const recorded of events) await apply(tx, decodeRecorded(Event, recorded), recorded);
  },
};

async function apply(tx: PoolClient, event: Event, recorded: RecordedEvent): Promise<void> {
  const position = recorded.position.toString();
  switch (event.type) {
    case 'ProductCreated': {
      const d = event.data;
      await tx.query(
        `INSERT INTO products (id, name, description, price_minor, currency, sku,
                               created_at, updated_at, last_position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8)
         ON CONFLICT (id) DO NOTHING`,
        [d.productId, d.name, d.description, d.price, d.currency, d.sku, d.at, position],
      );
      return;
    }
    case 'ProductUpdated': {
      const c = event.data.changes;
      await tx.query(
        `UPDATE products SET name = COALESCE($2, name), description = COALESCE($3, description),
                price_minor = COALESCE($4, price_minor), currency = COALESCE($5, currency),
                sku = COALESCE($6, sku), updated_at = $7, last_position = $8
          WHERE id = $1 AND last_position < $8`,
        [
          event.data.productId,
          c.name ?? null,
          c.description ?? null,
          c.price ?? null,
          c.currency ?? null,
          c.sku ?? null,
          event.data.at,
          position,
        ],
      );
      return;
    }
    case 'ProductCategorized': {
      const { productId, at, categories } = event.data;
      if (!(await touch(tx, productId, at, position))) return;
      await tx.query('DELETE FROM product_categories WHERE product_id = $1', [productId]);
      await tx.query(
        `INSERT INTO product_categories (product_id, name_key, name, ordinal)
         SELECT $1, k, n, o::int FROM unnest($2::text[], $3::text[]) WITH ORDINALITY AS u(k, n, o)
         ON CONFLICT DO NOTHING`,
        // Keys computed here, as for `categories`: JavaScript's case folding on both sides.
        [productId, categories.map(categoryKey), categories.map((n) => n.trim())],
      );
      return;
    }
    case 'ProductDeleted': {
      const { productId, at } = event.data;
      await tx.query(
        `UPDATE products SET deleted_at = $2, updated_at = $2, last_position = $3
          WHERE id = $1 AND last_position < $3`,
        [productId, at, position],
      );
      return;
    }
    case 'CategoryCreated': {
      const d = event.data;
      await tx.query(
        `INSERT INTO categories (id, name, name_key, description, created_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
        [d.categoryId, d.name, categoryKey(d.name), d.description, d.at],
      );
      return;
    }
    default:
      return assertNever(event);
  }
}

/** Moves the product's guard to this event; false when it was applied already. */
async function touch(
  tx: PoolClient,
  productId: string,
  at: string,
  position: string,
): Promise<boolean> {
  const result = await tx.query(
    `UPDATE products SET updated_at = $2, last_position = $3
      WHERE id = $1 AND last_position < $3`,
    [productId, at, position],
  );
  return result.rowCount === 1;
}
