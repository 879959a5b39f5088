import type { Pool } from 'pg';

/** One product's stock as the inventory read model holds it. */
export interface InventoryView {
  productId: string;
  sku: string;
  onHand: number;
  reserved: number;
  available: number;
  reorderThreshold: number;
  lowStock: boolean;
  updatedAt: Date;
}

interface InventoryRow {
  product_id: string;
  sku: string;
  on_hand: string;
  reserved: string;
  available: string;
  reorder_threshold: string;
  low_stock: boolean;
  updated_at: Date;
}

const SELECT = `SELECT product_id, sku, on_hand, reserved, available, reorder_threshold,
                       low_stock, updated_at FROM inventory`;

const toView = (r: InventoryRow): InventoryView => ({
  productId: r.product_id,
  sku: r.sku,
  onHand: Number(r.on_hand),
  reserved: Number(r.reserved),
  available: Number(r.available),
  reorderThreshold: Number(r.reorder_threshold),
  lowStock: r.low_stock,
  updatedAt: r.updated_at,
});

/** The stock of a live product, or undefined (unknown product, or deleted). */
export async function getInventory(
  db: Pool,
  productId: string,
): Promise<InventoryView | undefined> {
  const { rows } = await db.query<InventoryRow>(
    `${SELECT} WHERE product_id = $1 AND NOT discontinued`,
    [productId],
  );
  return rows[0] && toView(rows[0]);
}

/**
 * A page of live products' stock, by product id (a stable order for keyset pagination),
 * optionally only those low on stock; `next` is the product id to continue after.
 */
export async function listInventory(
  db: Pool,
  f: { lowStock?: boolean; limit: number; after?: string },
): Promise<{ items: InventoryView[]; next?: string }> {
  const { rows } = await db.query<InventoryRow>(
    `${SELECT}
      WHERE NOT discontinued
        AND ($1::boolean IS NULL OR low_stock = $1)
        AND ($2::uuid IS NULL OR product_id > $2)
      ORDER BY product_id
      LIMIT $3`,
    [f.lowStock ?? null, f.after ?? null, f.limit + 1],
  );
  const items = rows.slice(0, f.limit).map(toView);
  const last = items.at(-1);
  return rows.length > f.limit && last ? { items, next: last.productId } : { items };
}
