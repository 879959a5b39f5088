import { jsonBody, jsonResponse, problemResponses, schemaRef } from '../api/openapi';
import type { RouteModule } from '../api/route-module';

/** OpenAPI fragments of the inventory routes. */

export const inventorySchemas: Record<string, unknown> = {
  Inventory: {
    type: 'object',
    required: [
      'product_id',
      'sku',
      'on_hand',
      'available_quantity',
      'reserved_quantity',
      'reorder_threshold',
      'low_stock',
      'updated_at',
    ],
    properties: {
      product_id: { type: 'string', format: 'uuid' },
      sku: { type: 'string' },
      on_hand: { type: 'integer' },
      available_quantity: { type: 'integer', description: 'on_hand - reserved_quantity' },
      reserved_quantity: { type: 'integer' },
      reorder_threshold: { type: 'integer' },
      low_stock: { type: 'boolean', description: 'available_quantity < reorder_threshold' },
      updated_at: { type: 'string', format: 'date-time' },
    },
  },
  InventoryPage: {
    type: 'object',
    required: ['items', 'next_cursor'],
    properties: {
      items: { type: 'array', items: schemaRef('Inventory') },
      next_cursor: { type: ['string', 'null'], description: 'null on the last page' },
    },
  },
  Restock: {
    type: 'object',
    required: ['quantity'],
    properties: { quantity: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } },
  },
  UpdateInventory: {
    type: 'object',
    description: '`reorder_threshold` and/or `adjustment` with its `reason`',
    properties: {
      reorder_threshold: { type: 'integer', minimum: 0 },
      adjustment: {
        type: 'integer',
        not: { const: 0 },
        description: 'Units to add (positive) or remove (negative); never below what is reserved',
      },
      reason: { type: 'string', minLength: 1, maxLength: 500 },
    },
  },
};

const admin = [{ bearerAuth: [] }];
const productId = {
  name: 'product_id',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
};

export const inventoryOpenApi: RouteModule['openapi'] = {
  '/inventory': {
    get: {
      summary: 'Stock of every product (admin), paginated',
      security: admin,
      parameters: [
        {
          name: 'low_stock',
          in: 'query',
          required: false,
          schema: { type: 'string', enum: ['true', 'false'] },
          description: 'Only products below (true) or at or above (false) their threshold',
        },
        {
          name: 'limit',
          in: 'query',
          required: false,
          schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
        },
        { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
      ],
      responses: {
        '200': jsonResponse('A page of stock levels', schemaRef('InventoryPage')),
        ...problemResponses(400, 401, 403),
      },
    },
  },
  '/inventory/{product_id}': {
    get: {
      summary: "A product's stock",
      parameters: [productId],
      responses: {
        '200': jsonResponse('The stock', schemaRef('Inventory')),
        ...problemResponses(404),
      },
    },
    put: {
      summary: 'Change the reorder threshold and/or adjust the stock with a reason (admin)',
      security: admin,
      parameters: [productId],
      requestBody: jsonBody(schemaRef('UpdateInventory')),
      responses: {
        '200': jsonResponse('The stock', schemaRef('Inventory')),
        ...problemResponses(400, 401, 403, 404, 409, 415),
      },
    },
  },
  '/inventory/{product_id}/restock': {
    post: {
      summary: 'Receive stock (admin)',
      security: admin,
      parameters: [productId],
      requestBody: jsonBody(schemaRef('Restock')),
      responses: {
        '200': jsonResponse('The stock', schemaRef('Inventory')),
        ...problemResponses(400, 401, 403, 404, 415),
      },
    },
  },
};
