import { jsonBody, jsonResponse, problemResponses, schemaRef } from '../api/openapi';
import type { RouteModule } from '../api/route-module';
import { orderStatuses } from '../domain/orders/order.state';

/** OpenAPI fragments of the `/orders` routes. */

const money = { type: 'number', minimum: 0, multipleOf: 0.01, description: 'A decimal amount' };
const uuid = { type: 'string', format: 'uuid' };
const status = { type: 'string', enum: [...orderStatuses] };
const address = {
  type: 'object',
  required: ['line1', 'city', 'state', 'postal_code', 'country'],
  properties: {
    line1: { type: 'string' },
    line2: { type: 'string' },
    city: { type: 'string' },
    state: { type: 'string' },
    postal_code: { type: 'string' },
    country: { type: 'string' },
  },
};
const unprocessable = {
  '422': {
    description:
      'Unknown products, a foreign address, or an Idempotency-Key reused with another body',
    content: { 'application/problem+json': { schema: { type: 'object' } } },
  },
};

export const ordersSchemas: Record<string, unknown> = {
  Order: {
    type: 'object',
    required: ['id', 'user_id', 'status', 'items', 'total_price', 'currency', 'shipping_address'],
    properties: {
      id: uuid,
      user_id: uuid,
      status,
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            product_id: uuid,
            quantity: { type: 'integer' },
            unit_price: money,
            line_total: money,
          },
        },
      },
      total_price: money,
      currency: { type: 'string' },
      shipping_address: address,
      payment: {
        type: 'object',
        properties: {
          method: { type: 'string', enum: ['card', 'token'] },
          brand: { type: ['string', 'null'] },
          last4: { type: ['string', 'null'] },
        },
      },
      failure_reason: { type: ['string', 'null'] },
      created_at: { type: 'string', format: 'date-time' },
      updated_at: { type: 'string', format: 'date-time' },
    },
  },
  OrderPage: {
    type: 'object',
    required: ['items', 'next_cursor'],
    properties: {
      items: { type: 'array', items: schemaRef('Order') },
      next_cursor: { type: ['string', 'null'], description: 'null on the last page' },
    },
  },
  OrderHistory: {
    type: 'object',
    required: ['items'],
    properties: {
      items: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            status,
            reason: { type: ['string', 'null'] },
            at: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
  },
  PlaceOrder: {
    type: 'object',
    required: ['items', 'payment'],
    description: 'Give shipping_address or address_id. Prices come from the catalog.',
    properties: {
      items: {
        type: 'array',
        minItems: 1,
        maxItems: 100,
        items: {
          type: 'object',
          required: ['product_id', 'quantity'],
          properties: {
            product_id: uuid,
            quantity: { type: 'integer', minimum: 1, maximum: 10_000 },
            price: { ...money, description: 'The price the client saw; 409 if it changed' },
          },
        },
      },
      shipping_address: address,
      address_id: uuid,
      payment: {
        oneOf: [
          {
            type: 'object',
            required: ['method', 'card_number', 'exp_month', 'exp_year', 'cvc'],
            properties: {
              method: { const: 'card' },
              card_number: { type: 'string' },
              exp_month: { type: 'integer', minimum: 1, maximum: 12 },
              exp_year: { type: 'integer' },
              cvc: { type: 'string', pattern: '^\\d{3,4}$' },
            },
          },
          {
            type: 'object',
            required: ['method', 'token'],
            properties: { method: { const: 'token' }, token: { type: 'string' } },
          },
        ],
      },
    },
  },
};

const user = [{ bearerAuth: [] }];
const idParam = { name: 'id', in: 'path', required: true, schema: uuid };
const query = (name: string, schema: unknown, description: string) => ({
  name,
  in: 'query',
  required: false,
  schema,
  description,
});

export const ordersOpenApi: RouteModule['openapi'] = {
  '/orders': {
    post: {
      summary: 'Place an order',
      security: user,
      parameters: [
        {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          schema: { type: 'string', maxLength: 255 },
          description: 'The same key and body return the same order; another body gets 422',
        },
      ],
      requestBody: jsonBody(schemaRef('PlaceOrder')),
      responses: {
        '201': jsonResponse('The order, pending', schemaRef('Order')),
        ...problemResponses(400, 401, 409, 415, 503),
        ...unprocessable,
      },
    },
    get: {
      summary: 'List orders: a customer sees their own, an admin everyone’s',
      security: user,
      parameters: [
        query('status', status, 'Only orders in this status'),
        query('limit', { type: 'integer', minimum: 1, maximum: 100, default: 20 }, 'Page size'),
        query('cursor', { type: 'string' }, 'The next_cursor of the previous page'),
      ],
      responses: {
        '200': jsonResponse('A page of orders, newest first', schemaRef('OrderPage')),
        ...problemResponses(400, 401),
      },
    },
  },
  '/orders/{id}': {
    get: {
      summary: 'An order (owner or admin)',
      security: user,
      parameters: [idParam],
      responses: {
        '200': jsonResponse('The order', schemaRef('Order')),
        ...problemResponses(401, 404),
      },
    },
    delete: {
      summary: 'Cancel an order (owner or admin); a repeat is a no-op',
      security: user,
      parameters: [idParam],
      responses: { '204': { description: 'Cancelled' }, ...problemResponses(401, 404, 409) },
    },
  },
  '/orders/{id}/history': {
    get: {
      summary: 'The order log: each status change with its time and reason',
      security: user,
      parameters: [idParam],
      responses: {
        '200': jsonResponse('The log, oldest first', schemaRef('OrderHistory')),
        ...problemResponses(401, 404),
      },
    },
  },
  '/orders/{id}/cancel': {
    post: {
      summary: 'Cancel an order before it ships (owner or admin); a repeat is a no-op',
      security: user,
      parameters: [idParam],
      requestBody: jsonBody(
        { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } } },
        false,
      ),
      responses: {
        '200': jsonResponse('The order', schemaRef('Order')),
        ...problemResponses(400, 401, 404, 409),
      },
    },
  },
  '/orders/{id}/status': {
    put: {
      summary: 'Fulfilment moves (admin): shipped, then delivered',
      security: user,
      parameters: [idParam],
      requestBody: jsonBody({
        type: 'object',
        required: ['status'],
        properties: { status: { type: 'string', enum: ['shipped', 'delivered'] } },
      }),
      responses: {
        '200': jsonResponse('The order', schemaRef('Order')),
        ...problemResponses(400, 401, 403, 404, 409),
      },
    },
  },
};
