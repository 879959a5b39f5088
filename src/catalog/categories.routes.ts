import type Router from '@koa/router';
import type { AppState } from '../api/auth';
import { requireAdmin } from '../api/auth';
import { decode } from '../api/decode';
import { orProblem } from '../api/domain-errors';
import type { RouteModule } from '../api/route-module';
import { createCategory } from '../commands/catalog.categories';
import { PRODUCTS_PROJECTION } from '../projections/products.projection';
import { metadataOf, type CatalogApiDeps } from './catalog.deps';
import { CreateCategoryBody } from './catalog.codecs';
import { catalogSchemas, categoriesOpenApi } from './catalog.openapi';
import { categoryFromStream, categoryJson } from './catalog.views';
import { getCategory, listCategories } from './products.queries';

/**
 * `/categories`: created by an admin, or on the fly by a product naming an unknown one; read
 * by anyone. Names are unique case-insensitively (the category's id derives from its name).
 */
export function categoryRoutes(deps: CatalogApiDeps): RouteModule {
  const register = (router: Router<AppState>): void => {
    router.post('/categories', requireAdmin, async (ctx) => {
      const body = decode(CreateCategoryBody, ctx.request.body, 'body');
      const description = body.description || null;
      const write = orProblem(
        await createCategory(deps.store, { name: body.name, description }, metadataOf(ctx)),
      );
      const caughtUp = await deps.awaitProjections([PRODUCTS_PROJECTION], write.position);
      const category =
        (caughtUp ? await getCategory(deps.pool, write.categoryId) : undefined) ??
        (await categoryFromStream(deps.store, write.categoryId));
      if (!category) throw new Error(`category ${write.categoryId} was written but cannot be read`);
      ctx.status = 201;
      ctx.body = categoryJson(category);
    });

    router.get('/categories', async (ctx) => {
      ctx.body = { items: (await listCategories(deps.pool)).map(categoryJson) };
    });
  };

  return { name: 'categories', register, openapi: categoriesOpenApi, schemas: catalogSchemas };
}
