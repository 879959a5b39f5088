import type Router from '@koa/router';
import { requireAdmin, type AppState } from '../api/auth';
import { decode } from '../api/decode';
import { orProblem } from '../api/domain-errors';
import { uuidParam } from '../api/params';
import { notFound } from '../api/problem';
import type { RouteModule } from '../api/route-module';
import { metadataOf, type CatalogApiDeps } from '../catalog/catalog.deps';
import { restock, updateInventory, type StockWrite } from '../commands/inventory.commands';
import { INVENTORY_PROJECTION } from '../projections/inventory.projection';
import { LOW_STOCK_ALERTS_PROJECTION } from '../projections/low-stock-alerts.projection';
import {
  inventoryCursor,
  inventoryKeyOf,
  ListInventoryQuery,
  RestockBody,
  UpdateInventoryBody,
} from './inventory.codecs';
import { inventoryOpenApi, inventorySchemas } from './inventory.openapi';
import { getInventory, listInventory, type InventoryView } from './inventory.queries';
import { inventoryFromStream, inventoryJson } from './inventory.view';

const DEFAULT_LIMIT = 20;

/**
 * `/inventory`: stock levels from the inventory read model; restocks and adjustments through
 * the inventory decider (admin). Writes answer once the read models caught up with them.
 */
export function inventoryRoutes(deps: CatalogApiDeps): RouteModule {
  const afterWrite = async (write: StockWrite): Promise<InventoryView> => {
    const projections = write.eventTypes.includes('LowStock')
      ? [INVENTORY_PROJECTION, LOW_STOCK_ALERTS_PROJECTION]
      : [INVENTORY_PROJECTION];
    const caughtUp = await deps.awaitProjections(projections, write.position);
    const view =
      (caughtUp ? await getInventory(deps.pool, write.productId) : undefined) ??
      (await inventoryFromStream(deps.store, write.productId));
    if (!view) throw notFound('No inventory for this product');
    return view;
  };

  const register = (router: Router<AppState>): void => {
    router.get('/inventory', requireAdmin, async (ctx) => {
      const query = decode(ListInventoryQuery, ctx.query, 'query');
      const page = await listInventory(deps.pool, {
        ...(query.low_stock !== undefined && { lowStock: query.low_stock === 'true' }),
        limit: query.limit ?? DEFAULT_LIMIT,
        ...(query.cursor !== undefined && { after: inventoryKeyOf(query.cursor) }),
      });
      ctx.body = {
        items: page.items.map(inventoryJson),
        next_cursor: page.next ? inventoryCursor(page.next) : null,
      };
    });

    router.get('/inventory/:product_id', async (ctx) => {
      const view = await getInventory(deps.pool, uuidParam(ctx, 'product_id'));
      if (!view) throw notFound('No inventory for this product');
      ctx.body = inventoryJson(view);
    });

    router.post('/inventory/:product_id/restock', requireAdmin, async (ctx) => {
      const productId = uuidParam(ctx, 'product_id');
      const body = decode(RestockBody, ctx.request.body, 'body');
      const write = orProblem(await restock(deps, productId, body.quantity, metadataOf(ctx)));
      ctx.body = inventoryJson(await afterWrite(write));
    });

    router.put('/inventory/:product_id', requireAdmin, async (ctx) => {
      const productId = uuidParam(ctx, 'product_id');
      const body = decode(UpdateInventoryBody, ctx.request.body, 'body');
      const settings = {
        ...(body.reorder_threshold !== undefined && { reorderThreshold: body.reorder_threshold }),
        ...(body.adjustment !== undefined && {
          adjustment: { quantity: body.adjustment, reason: body.reason ?? '' },
        }),
      };
      const write = orProblem(await updateInventory(deps, productId, settings, metadataOf(ctx)));
      ctx.body = inventoryJson(await afterWrite(write));
    });
  };

  return { name: 'inventory', register, openapi: inventoryOpenApi, schemas: inventorySchemas };
}
