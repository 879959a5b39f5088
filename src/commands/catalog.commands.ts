import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/Either';
import type { Pool } from 'pg';
import type { CategoryError } from '../domain/catalog/category.decider';
import {
  normalizeCategories,
  productDecider,
  type ProductCommand,
  type ProductError,
  type ProductState,
} from '../domain/catalog/product.decider';
import { productStream, type ProductFields } from '../domain/catalog/product.events';
import {
  initialInventoryState,
  inventoryDecider,
  type InventoryCommand,
  type InventoryError,
} from '../domain/inventory/inventory.decider';
import { inventoryStream } from '../domain/inventory/inventory.events';
import type { EventStore } from '../eventstore';
import { nameClaim, skuClaim, withProductLock, type Claim, type StillUses } from './catalog.claims';
import { ensureCategories } from './catalog.categories';
import { generateSku, loadProduct } from './catalog.products';
import { handleCommand, type CommandMetadata } from './command-handler';

export interface CatalogDeps {
  store: EventStore;
  /** The claims table and the product locks. */
  pool: Pool;
  /** Reorder threshold of a new product's inventory when the request names none. */
  lowStockThreshold: number;
}

export type ClaimError = { code: 'SKU_TAKEN'; sku: string } | { code: 'NAME_TAKEN'; name: string };
export type CatalogError = ProductError | CategoryError | InventoryError | ClaimError;

export interface ProductWrite {
  productId: string;
  /** Global position of the command's last append, for read-your-writes. */
  position: bigint;
  /** The write raised LowStock (a product created below its threshold). */
  lowStock?: boolean;
}

export interface NewProduct {
  name: string;
  description: string;
  /** Integer minor units. */
  price: number;
  currency: string;
  /** Generated from the name when absent. */
  sku?: string;
  categories: readonly string[];
  /** Opening stock (default 0: every product has an inventory). */
  quantity?: number;
  reorderThreshold?: number;
}

export type ProductChanges = Partial<ProductFields> & { categories?: readonly string[] };

const stillUses =
  (store: EventStore): StillUses =>
  async (owner, claim) => {
    const s = await loadProduct(store, owner);
    if (s.status !== 'live') return false;
    return (claim.kind === 'sku' ? skuClaim(s.sku) : nameClaim(s.name)).key === claim.key;
  };

const claimError = (claim: Claim, sku: string, name: string): ClaimError =>
  claim.kind === 'sku' ? { code: 'SKU_TAKEN', sku } : { code: 'NAME_TAKEN', name };

/**
 * Creates a product and its inventory (the opening stock, or 0). Everything that can refuse
 * is decided before anything is written, so a refusal changes nothing: the deciders on their
 * initial states, then the SKU and name claims; only then are unknown categories created,
 * the product appended and its stock received.
 */
export async function createProduct(
  deps: CatalogDeps,
  input: NewProduct,
  metadata: CommandMetadata = {},
): Promise<E.Either<CatalogError, ProductWrite>> {
  const productId = randomUUID();
  const now = new Date().toISOString();
  const name = input.name.trim();
  const categories = normalizeCategories(input.categories);
  const stock = (sku: string): InventoryCommand => ({
    type: 'ReceiveStock',
    productId,
    sku,
    quantity: input.quantity ?? 0,
    reorderThreshold: input.reorderThreshold ?? deps.lowStockThreshold,
    now,
  });
  const create = (sku: string, categories: string[]): ProductCommand => ({
    type: 'CreateProduct',
    productId,
    name,
    description: input.description,
    price: input.price,
    currency: input.currency,
    sku,
    categories,
    now,
  });

  // A generated SKU that collides (practically never) is generated again.
  const attempts = input.sku === undefined ? 3 : 1;
  return withProductLock(deps.pool, productId, stillUses(deps.store), async (claims) => {
    for (let attempt = 1; ; attempt++) {
      const sku = input.sku?.trim() ?? generateSku(name);
      const dryRun = E.flatMap(() => inventoryDecider.decide(stock(sku), initialInventoryState))(
        productDecider.decide(create(sku, categories), productDecider.initialState),
      );
      if (E.isLeft(dryRun)) return dryRun;
      const taken = await claims.claim([skuClaim(sku), nameClaim(name)]);
      if (taken?.kind === 'sku' && attempt < attempts) continue;
      if (taken) return E.left(claimError(taken, sku, name));

      const spelled = await ensureCategories(deps.store, categories, metadata);
      const created = await handleCommand(deps.store, productDecider, {
        streamName: productStream(productId),
        command: create(sku, spelled.names),
        metadata,
      });
      if (E.isLeft(created)) {
        await claims.releaseAll(); // refused, so certainly not written
        return created;
      }
      // A crash right here leaves a product without inventory: restocking it creates one.
      const received = await handleCommand(deps.store, inventoryDecider, {
        streamName: inventoryStream(productId),
        command: stock(sku),
        metadata,
      });
      if (E.isLeft(received)) return received; // the dry run above rules this out
      const position = latest(spelled.position, created.right.position, received.right.position);
      const lowStock = received.right.events.some((e) => e.type === 'LowStock');
      return E.right({ productId, position, lowStock });
    }
  });
}

/**
 * Updates a product's fields and categories. A new name or SKU is claimed before the append
 * and the old one released after it; a refusal (not live, bad price, key taken) writes nothing.
 */
export async function updateProduct(
  deps: CatalogDeps,
  productId: string,
  changes: ProductChanges,
  metadata: CommandMetadata = {},
): Promise<E.Either<CatalogError, ProductWrite>> {
  const { categories, ...fields } = changes;
  const trimmed: Partial<ProductFields> = {
    ...fields,
    ...(fields.name !== undefined && { name: fields.name.trim() }),
    ...(fields.sku !== undefined && { sku: fields.sku.trim() }),
  };
  const normalized = categories && normalizeCategories(categories);
  const now = new Date().toISOString();
  const update = (spelled?: string[]): ProductCommand => ({
    type: 'UpdateProduct',
    productId,
    changes: trimmed,
    ...(spelled && { categories: spelled }),
    now,
  });

  return withProductLock(deps.pool, productId, stillUses(deps.store), async (claims) => {
    const before = await loadProduct(deps.store, productId);
    const dryRun = productDecider.decide(update(normalized), before);
    if (E.isLeft(dryRun)) return dryRun;
    const changed = changedKeys(before, trimmed);
    const taken = await claims.claim(changed.map((c) => c.to));
    if (taken) return E.left(claimError(taken, trimmed.sku ?? '', trimmed.name ?? ''));

    const spelled = normalized && (await ensureCategories(deps.store, normalized, metadata));
    const updated = await handleCommand(deps.store, productDecider, {
      streamName: productStream(productId),
      command: update(spelled?.names),
      metadata,
    });
    if (E.isLeft(updated)) {
      await claims.release(changed.map((c) => c.to));
      return updated;
    }
    await claims.release(changed.map((c) => c.from));
    return E.right({
      productId,
      position: latest(spelled?.position ?? 0n, updated.right.position),
    });
  });
}

/** The keys an update moves: the claim it needs and the claim it frees, per kind. */
function changedKeys(
  before: ProductState,
  changes: Partial<ProductFields>,
): Array<{ from: Claim; to: Claim }> {
  const moves: Array<{ from: Claim; to: Claim }> = [];
  if (changes.sku !== undefined)
    moves.push({ from: skuClaim(before.sku), to: skuClaim(changes.sku) });
  if (changes.name !== undefined)
    moves.push({ from: nameClaim(before.name), to: nameClaim(changes.name) });
  return moves.filter((m) => m.from.key !== m.to.key);
}

/**
 * Deletes a product and frees its SKU and name. Deleting it again is a no-op (the claims
 * are released again, which also finishes a deletion a crash interrupted).
 */
export async function deleteProduct(
  deps: CatalogDeps,
  productId: string,
  metadata: CommandMetadata = {},
): Promise<E.Either<CatalogError, ProductWrite>> {
  return withProductLock(deps.pool, productId, stillUses(deps.store), async (claims) => {
    const deleted = await handleCommand(deps.store, productDecider, {
      streamName: productStream(productId),
      command: { type: 'DeleteProduct', productId, now: new Date().toISOString() },
      metadata,
    });
    if (E.isLeft(deleted)) return deleted;
    await claims.releaseAll();
    return E.right({ productId, position: deleted.right.position });
  });
}

const latest = (...positions: bigint[]): bigint => positions.reduce((a, b) => (b > a ? b : a), 0n);
