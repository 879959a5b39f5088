import type { Pool } from 'pg';
import { categoryKey } from '../domain/catalog/category.decider';

/** A product as the read model holds it; money in integer minor units. */
export interface ProductView {
  id: string;
  name: string;
  description: string;
  priceMinor: number;
  currency: string;
  sku: string;
  categories: string[];
  createdAt: Date;
  updatedAt: Date;
}

export interface CategoryView {
  id: string;
  name: string;
  description: string | null;
  createdAt: Date;
}

/** Where a page of products starts: after this product in the listing's order. */
export interface ProductKey {
  createdAt: string;
  id: string;
}

export interface ProductFilter {
  category?: string;
  minPriceMinor?: number;
  maxPriceMinor?: number;
  q?: string;
  limit: number;
  after?: ProductKey;
}

interface ProductRow {
  id: string;
  name: string;
  description: string;
  price_minor: string;
  currency: string;
  sku: string;
  categories: string[];
  created_at: Date;
  updated_at: Date;
}

const SELECT_PRODUCT = `
SELECT p.id, p.name, p.description, p.price_minor, p.currency, p.sku, p.created_at, p.updated_at,
       COALESCE((SELECT array_agg(pc.name ORDER BY pc.ordinal) FROM product_categories pc
                  WHERE pc.product_id = p.id), '{}') AS categories
  FROM products p`;

const toView = (r: ProductRow): ProductView => ({
  id: r.id,
  name: r.name,
  description: r.description,
  priceMinor: Number(r.price_minor),
  currency: r.currency,
  sku: r.sku,
  categories: r.categories,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** A live product, or undefined (unknown or deleted). */
export async function getProduct(db: Pool, id: string): Promise<ProductView | undefined> {
  const { rows } = await db.query<ProductRow>(
    `${SELECT_PRODUCT} WHERE p.id = $1 AND p.deleted_at IS NULL`,
    [id],
  );
  return rows[0] && toView(rows[0]);
}

/**
 * One page of live products in a stable order (created_at, id), filtered; `next` is the key
 * to continue after, absent on the last page. Keyset pagination: a product created while a
 * client pages sorts after every page already served, so no item is skipped or repeated.
 */
export async function listProducts(
  db: Pool,
  f: ProductFilter,
): Promise<{ items: ProductView[]; next?: ProductKey }> {
  const { rows } = await db.query<ProductRow>(
    `${SELECT_PRODUCT}
      WHERE p.deleted_at IS NULL
        AND ($1::text IS NULL OR EXISTS (SELECT 1 FROM product_categories pc
                                          WHERE pc.product_id = p.id AND pc.name_key = $1))
        AND ($2::bigint IS NULL OR p.price_minor >= $2)
        AND ($3::bigint IS NULL OR p.price_minor <= $3)
        AND ($4::text IS NULL OR strpos(lower(p.name), lower($4)) > 0
                              OR strpos(lower(p.description), lower($4)) > 0)
        AND ($5::timestamptz IS NULL OR (p.created_at, p.id) > ($5, $6::uuid))
      ORDER BY p.created_at, p.id
      LIMIT $7`,
    [
      f.category === undefined ? null : categoryKey(f.category),
      f.minPriceMinor ?? null,
      f.maxPriceMinor ?? null,
      f.q ?? null,
      f.after?.createdAt ?? null,
      f.after?.id ?? null,
      f.limit + 1,
    ],
  );
  const items = rows.slice(0, f.limit).map(toView);
  const last = items.at(-1);
  return rows.length > f.limit && last
    ? { items, next: { createdAt: last.createdAt.toISOString(), id: last.id } }
    : { items };
}

interface CategoryRow {
  id: string;
  name: string;
  description: string | null;
  created_at: Date;
}

const toCategory = (r: CategoryRow): CategoryView => ({
  id: r.id,
  name: r.name,
  description: r.description,
  createdAt: r.created_at,
});

/** Every category, by name. */
export async function listCategories(db: Pool): Promise<CategoryView[]> {
  const { rows } = await db.query<CategoryRow>(
    'SELECT id, name, description, created_at FROM categories ORDER BY name_key',
  );
  return rows.map(toCategory);
}

export async function getCategory(db: Pool, id: string): Promise<CategoryView | undefined> {
  const { rows } = await db.query<CategoryRow>(
    'SELECT id, name, description, created_at FROM categories WHERE id = $1',
    [id],
  );
  return rows[0] && toCategory(rows[0]);
}
