import type Router from '@koa/router';
import type { AppState } from '../api/auth';
import { requireAdmin } from '../api/auth';
import { decode } from '../api/decode';
import { orProblem } from '../api/domain-errors';
import { uuidParam } from '../api/params';
import { notFound } from '../api/problem';
import type { RouteModule } from '../api/route-module';
import { createProduct, deleteProduct, updateProduct } from '../commands/catalog.commands';
import { INVENTORY_PROJECTION } from '../projections/inventory.projection';
import { LOW_STOCK_ALERTS_PROJECTION } from '../projections/low-stock-alerts.projection';
import { PRODUCTS_PROJECTION } from '../projections/products.projection';
import { metadataOf, type CatalogApiDeps } from './catalog.deps';
import {
  categoriesOf,
  CreateProductBody,
  ListProductsQuery,
  productCursor,
  productKeyOf,
  UpdateProductBody,
} from './catalog.codecs';
import { catalogSchemas, productsOpenApi } from './catalog.openapi';
import { productFromStream, productJson } from './catalog.views';
import { getProduct, listProducts, type ProductView } from './products.queries';

const DEFAULT_LIMIT = 20;

/**
 * `/products`: writes go through the catalog commands (admin), reads to the products read
 * model (anyone). A write answers once the read models it touched have caught up with it,
 * so a GET right after it sees the change.
 */
export function productRoutes(deps: CatalogApiDeps): RouteModule {
  /** The product after a write: from the read model once it caught up, else from its stream. */
  const afterWrite = async (
    projections: string[],
    write: { productId: string; position: bigint },
  ): Promise<ProductView> => {
    const caughtUp = await deps.awaitProjections(projections, write.position);
    const view =
      (caughtUp ? await getProduct(deps.pool, write.productId) : undefined) ??
      (await productFromStream(deps.store, write.productId));
    if (!view) throw notFound('No such product');
    return view;
  };

  const register = (router: Router<AppState>): void => {
    router.post('/products', requireAdmin, async (ctx) => {
      const body = decode(CreateProductBody, ctx.request.body, 'body');
      const write = orProblem(
        await createProduct(
          deps,
          {
            name: body.name,
            description: body.description,
            price: body.price,
            currency: body.currency ?? 'USD',
            ...(body.sku !== undefined && { sku: body.sku }),
            categories: categoriesOf(body) ?? [],
            ...(body.quantity !== undefined && { quantity: body.quantity }),
            ...(body.reorder_threshold !== undefined && {
              reorderThreshold: body.reorder_threshold,
            }),
          },
          metadataOf(ctx),
        ),
      );
      const projections = [PRODUCTS_PROJECTION, INVENTORY_PROJECTION];
      if (write.lowStock) projections.push(LOW_STOCK_ALERTS_PROJECTION);
      const product = await afterWrite(projections, write);
      ctx.status = 201;
      ctx.set('Location', `${ctx.path}/${product.id}`);
      ctx.body = productJson(product);
    });

    router.get('/products', async (ctx) => {
      const query = decode(ListProductsQuery, ctx.query, 'query');
      const page = await listProducts(deps.pool, {
        ...(query.category !== undefined && { category: query.category }),
        ...(query.min_price !== undefined && { minPriceMinor: query.min_price }),
        ...(query.max_price !== undefined && { maxPriceMinor: query.max_price }),
        ...(query.q !== undefined && { q: query.q }),
        limit: query.limit ?? DEFAULT_LIMIT,
        ...(query.cursor !== undefined && { after: productKeyOf(query.cursor) }),
      });
      ctx.body = {
        items: page.items.map(productJson),
        next_cursor: page.next ? productCursor(page.next) : null,
      };
    });

    router.get('/products/:id', async (ctx) => {
      const product = await getProduct(deps.pool, uuidParam(ctx, 'id'));
      if (!product) throw notFound('No such product');
      ctx.body = productJson(product);
    });

    router.put('/products/:id', requireAdmin, async (ctx) => {
      const productId = uuidParam(ctx, 'id');
      const body = decode(UpdateProductBody, ctx.request.body, 'body');
      const { category: _one, categories: _many, ...fields } = body;
      const categories = categoriesOf(body);
      const write = orProblem(
        await updateProduct(
          deps,
          productId,
          { ...fields, ...(categories !== undefined && { categories }) },
          metadataOf(ctx),
        ),
      );
      // The inventory follows SKU changes; waiting for it too keeps GET /inventory in step.
      ctx.body = productJson(await afterWrite([PRODUCTS_PROJECTION, INVENTORY_PROJECTION], write));
    });

    router.delete('/products/:id', requireAdmin, async (ctx) => {
      const write = orProblem(await deleteProduct(deps, uuidParam(ctx, 'id'), metadataOf(ctx)));
      await deps.awaitProjections([PRODUCTS_PROJECTION, INVENTORY_PROJECTION], write.position);
      ctx.status = 204;
    });
  };

  return { name: 'products', register, openapi: productsOpenApi, schemas: catalogSchemas };
}
