import { jsonBody, jsonResponse, problemResponses, schemaRef } from '../api/openapi';
import type { RouteModule } from '../api/route-module';

/** OpenAPI fragments of the products and categories routes. */

const money = {
  type: 'number',
  minimum: 0,
  maximum: 10_000_000,
  multipleOf: 0.01,
  description: 'A decimal amount with at most two places',
};
const categoryNames = {
  type: 'array',
  maxItems: 20,
  items: { type: 'string', minLength: 1, maxLength: 100 },
};
const productFields = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  description: { type: 'string', maxLength: 5000 },
  price: money,
  currency: { type: 'string', pattern: '^[A-Z]{3}$', default: 'USD' },
  sku: {
    type: 'string',
    pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
    description: 'Unique across live products, case-insensitively',
  },
  category: { type: 'string', minLength: 1, maxLength: 100, description: 'One category name' },
  categories: { ...categoryNames, description: 'Category names; unknown ones are created' },
};

export const catalogSchemas: Record<string, unknown> = {
  Product: {
    type: 'object',
    required: ['id', 'name', 'description', 'price', 'currency', 'sku', 'categories'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      name: { type: 'string' },
      description: { type: 'string' },
      price: money,
      currency: { type: 'string' },
      sku: { type: 'string' },
      categories: { type: 'array', items: { type: 'string' } },
      created_at: { type: 'string', format: 'date-time' },
      updated_at: { type: 'string', format: 'date-time' },
    },
  },
  ProductPage: {
    type: 'object',
    required: ['items', 'next_cursor'],
    properties: {
      items: { type: 'array', items: schemaRef('Product') },
      next_cursor: { type: ['string', 'null'], description: 'null on the last page' },
    },
  },
  CreateProduct: {
    type: 'object',
    required: ['name', 'description', 'price'],
    properties: {
      ...productFields,
      quantity: {
        type: 'integer',
        minimum: 0,
        description: 'Opening stock (default 0); the inventory is created either way',
      },
      reorder_threshold: {
        type: 'integer',
        minimum: 0,
        description: 'Below it the product is low on stock (default LOW_STOCK_THRESHOLD)',
      },
    },
  },
  UpdateProduct: {
    type: 'object',
    properties: productFields,
    description: 'Only the fields given change; categories replace the list',
  },
  Category: {
    type: 'object',
    required: ['id', 'name', 'description', 'created_at'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      name: { type: 'string' },
      description: { type: ['string', 'null'] },
      created_at: { type: 'string', format: 'date-time' },
    },
  },
  CategoryList: {
    type: 'object',
    required: ['items'],
    properties: { items: { type: 'array', items: schemaRef('Category') } },
  },
  CreateCategory: {
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 100 },
      description: { type: 'string', maxLength: 1000 },
    },
  },
};

const admin = [{ bearerAuth: [] }];
const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', format: 'uuid' },
};
const query = (name: string, schema: unknown, description: string) => ({
  name,
  in: 'query',
  required: false,
  schema,
  description,
});

export const productsOpenApi: RouteModule['openapi'] = {
  '/products': {
    post: {
      summary: 'Create a product (admin); creates its inventory too',
      security: admin,
      requestBody: jsonBody(schemaRef('CreateProduct')),
      responses: {
        '201': jsonResponse('The product', schemaRef('Product')),
        ...problemResponses(400, 401, 403, 409, 415),
      },
    },
    get: {
      summary: 'List products, filtered and paginated',
      parameters: [
        query('category', { type: 'string' }, 'A category name (any case)'),
        query('min_price', { type: 'string', pattern: '^\\d+(\\.\\d{1,2})?$' }, 'Lowest price'),
        query('max_price', { type: 'string', pattern: '^\\d+(\\.\\d{1,2})?$' }, 'Highest price'),
        query('q', { type: 'string' }, 'Text in the name or description (any case)'),
        query('limit', { type: 'integer', minimum: 1, maximum: 100, default: 20 }, 'Page size'),
        query('cursor', { type: 'string' }, 'The next_cursor of the previous page'),
      ],
      responses: {
        '200': jsonResponse('A page of products', schemaRef('ProductPage')),
        ...problemResponses(400),
      },
    },
  },
  '/products/{id}': {
    get: {
      summary: 'A product',
      parameters: [idParam],
      responses: {
        '200': jsonResponse('The product', schemaRef('Product')),
        ...problemResponses(404),
      },
    },
    put: {
      summary: 'Update a product (admin)',
      security: admin,
      parameters: [idParam],
      requestBody: jsonBody(schemaRef('UpdateProduct')),
      responses: {
        '200': jsonResponse('The product', schemaRef('Product')),
        ...problemResponses(400, 401, 403, 404, 409, 415),
      },
    },
    delete: {
      summary: 'Delete a product (admin); its SKU and name become free',
      security: admin,
      parameters: [idParam],
      responses: { '204': { description: 'Deleted' }, ...problemResponses(401, 403, 404) },
    },
  },
};

export const categoriesOpenApi: RouteModule['openapi'] = {
  '/categories': {
    post: {
      summary: 'Create a category (admin)',
      security: admin,
      requestBody: jsonBody(schemaRef('CreateCategory')),
      responses: {
        '201': jsonResponse('The category', schemaRef('Category')),
        ...problemResponses(400, 401, 403, 409, 415),
      },
    },
    get: {
      summary: 'All categories, by name',
      responses: { '200': jsonResponse('The categories', schemaRef('CategoryList')) },
    },
  },
};
