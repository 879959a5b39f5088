import type Router from '@koa/router';
import {
  currentUser,
  requireAdmin,
  requireUser,
  type AppContext,
  type AppState,
} from '../api/auth';
import { decodeCursor } from '../api/codecs';
import { decode } from '../api/decode';
import { orProblem } from '../api/domain-errors';
import { uuidParam } from '../api/params';
import { badRequest, notFound } from '../api/problem';
import type { RouteModule } from '../api/route-module';
import { encodeCursor } from '../api/codecs';
import { metadataOf } from '../catalog/catalog.deps';
import { loadOrder, moveOrder } from '../commands/orders.commands';
import type { OrderState } from '../domain/orders/order.state';
import type { EventStore } from '../eventstore';
import type { PaymentClient } from '../processes/payment-client';
import { ORDERS_PROJECTION } from '../projections/orders.projection';
import type { AwaitProjections } from '../projections/read-your-writes';
import type { Pool } from 'pg';
import {
  CancelOrderBody,
  ListOrdersQuery,
  MoveOrderBody,
  orderCursorValue,
  orderKeyOf,
} from './orders.codecs';
import { ordersOpenApi, ordersSchemas } from './orders.openapi';
import { placeFromRequest } from './orders.placement';
import { getOrder, listOrders, orderHistory, type OrderView } from './orders.queries';
import { orderFromState, orderJson } from './orders.views';

type RouteContext = AppContext & { params: Record<string, string> };

export interface OrdersApiDeps {
  store: EventStore;
  pool: Pool;
  awaitProjections: AwaitProjections;
  /** The gateway client for tokenizing cards; absent: card orders answer 503. */
  paymentClient?: PaymentClient;
  now?: () => Date;
}

const DEFAULT_LIMIT = 20;

/**
 * `/orders`: placing (customers), reading (the owner or an admin; anyone else gets 404, so
 * an order's existence is never revealed), cancelling, and the admin's fulfilment moves.
 */
export function orderRoutes(deps: OrdersApiDeps): RouteModule {
  const now = deps.now ?? (() => new Date());

  /** The order from the read model once it caught up with `position`, else from its stream. */
  const afterWrite = async (orderId: string, position: bigint, known?: OrderState) => {
    const caughtUp = await deps.awaitProjections([ORDERS_PROJECTION], position);
    const view =
      (caughtUp ? await getOrder(deps.pool, orderId) : undefined) ??
      orderFromState(known ?? (await loadOrder(deps.store, orderId)));
    if (!view) throw notFound('No such order');
    return view;
  };

  const asPlaced = async (state: OrderState, position: bigint) => {
    await deps.awaitProjections([ORDERS_PROJECTION], position);
    const view = orderFromState(state);
    if (!view) throw new Error(`placed order ${state.orderId} has no OrderPlaced`);
    return view;
  };

  const visible = (ctx: AppContext, userId: string): boolean => {
    const user = currentUser(ctx);
    return user.role === 'admin' || user.id === userId;
  };

  /** The order from the read model, or 404 when it does not exist or is someone else's. */
  const readable = async (ctx: RouteContext): Promise<OrderView> => {
    const order = await getOrder(deps.pool, uuidParam(ctx, 'id'));
    if (!order || !visible(ctx, order.userId)) throw notFound('No such order');
    return order;
  };

  const cancel = async (ctx: RouteContext): Promise<OrderView> => {
    const orderId = uuidParam(ctx, 'id');
    // The stream, not the read model, says whose it is: no lag can hide or expose it.
    const state = await loadOrder(deps.store, orderId);
    if (!state.exists || !visible(ctx, state.userId)) throw notFound('No such order');
    const body = decode(CancelOrderBody, ctx.request.body ?? {}, 'body');
    const by = currentUser(ctx).role === 'admin' ? 'admin' : 'customer';
    const result = orProblem(
      await moveOrder(
        deps,
        orderId,
        { type: 'CancelOrder', reason: body.reason ?? `requested by the ${by}`, by },
        metadataOf(ctx),
      ),
    );
    return afterWrite(orderId, result.position);
  };

  const register = (router: Router<AppState>): void => {
    router.post('/orders', requireUser, async (ctx) => {
      const placed = await placeFromRequest(
        {
          store: deps.store,
          pool: deps.pool,
          now,
          ...(deps.paymentClient && { paymentClient: deps.paymentClient }),
        },
        {
          userId: currentUser(ctx).id,
          body: ctx.request.body,
          idempotencyKey: ctx.get('Idempotency-Key') || undefined,
          metadata: metadataOf(ctx),
        },
      );
      // A new order is answered as placed (the contract's `pending`), once the read model
      // shows it; by then the saga may have moved it on. A repeat shows it as it is now.
      const order = placed.placed
        ? await asPlaced(placed.placed, placed.position)
        : await afterWrite(placed.orderId, placed.position, placed.existing);
      ctx.status = 201;
      ctx.set('Location', `${ctx.path}/${order.id}`);
      ctx.body = orderJson(order);
    });

    router.get('/orders', requireUser, async (ctx) => {
      const query = decode(ListOrdersQuery, ctx.query, 'query');
      const after = query.cursor === undefined ? undefined : orderKeyOf(decodeCursor(query.cursor));
      if (query.cursor !== undefined && !after)
        throw badRequest([
          { field: 'query.cursor', message: 'must be a cursor returned by a previous page' },
        ]);
      const user = currentUser(ctx);
      const page = await listOrders(deps.pool, {
        ...(user.role !== 'admin' && { userId: user.id }),
        ...(query.status !== undefined && { status: query.status }),
        limit: query.limit ?? DEFAULT_LIMIT,
        ...(after && { after }),
      });
      ctx.body = {
        items: page.items.map(orderJson),
        next_cursor: page.next ? encodeCursor(orderCursorValue(page.next)) : null,
      };
    });

    router.get('/orders/:id', requireUser, async (ctx) => {
      ctx.body = orderJson(await readable(ctx));
    });

    router.get('/orders/:id/history', requireUser, async (ctx) => {
      const order = await readable(ctx);
      const items = await orderHistory(deps.pool, order.id);
      ctx.body = { items };
    });

    router.post('/orders/:id/cancel', requireUser, async (ctx) => {
      ctx.body = orderJson(await cancel(ctx));
    });

    router.delete('/orders/:id', requireUser, async (ctx) => {
      await cancel(ctx);
      ctx.status = 204;
    });

    router.put('/orders/:id/status', requireAdmin, async (ctx) => {
      const orderId = uuidParam(ctx, 'id');
      const body = decode(MoveOrderBody, ctx.request.body, 'body');
      const move = body.status === 'shipped' ? 'ShipOrder' : 'DeliverOrder';
      const result = orProblem(await moveOrder(deps, orderId, { type: move }, metadataOf(ctx)));
      ctx.body = orderJson(await afterWrite(orderId, result.position));
    });
  };

  return { name: 'orders', register, openapi: ordersOpenApi, schemas: ordersSchemas };
}
