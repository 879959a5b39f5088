import { productDecider, type ProductCommand } from '../../src/domain/catalog/product.decider';
import type { ProductEvent } from '../../src/domain/catalog/product.events';
import { spec } from '../support/decider-spec';

const productId = 'p-1';
const now = '2026-11-21T10:00:00.000Z';
const base = { productId, at: now };
const fields = { name: 'Mug', description: 'A mug', price: 1250, currency: 'USD', sku: 'MUG-1' };
const product = spec(productDecider);

const created: ProductEvent = { type: 'ProductCreated', data: { ...base, ...fields } };
const categorized = (categories: string[]): ProductEvent => ({
  type: 'ProductCategorized',
  data: { ...base, categories },
});
const create: ProductCommand = { type: 'CreateProduct', productId, categories: [], now, ...fields };

describe('product decider', () => {
  it('creates a product, with its categories de-duplicated case-insensitively', () => {
    product.when(create).then([created]);
    product
      .when({ ...create, categories: ['Kitchen', ' kitchen ', 'Gifts', ''] })
      .then([created, categorized(['Kitchen', 'Gifts'])]);
  });

  it('refuses to create twice and refuses a negative or fractional price', () => {
    product.given([created]).when(create).thenFails('PRODUCT_ALREADY_EXISTS');
    product.when({ ...create, price: -1 }).thenFails('INVALID_PRICE');
    product.when({ ...create, price: 12.5 }).thenFails('INVALID_PRICE');
  });

  it('records only the fields that change', () => {
    product
      .given([created])
      .when({ type: 'UpdateProduct', productId, changes: { name: 'Mug', price: 1500 }, now })
      .then([{ type: 'ProductUpdated', data: { ...base, changes: { price: 1500 } } }]);
    product
      .given([created, categorized(['Kitchen'])])
      .when({
        type: 'UpdateProduct',
        productId,
        changes: { name: 'Mug' },
        categories: ['kitchen'],
        now,
      })
      .then([]);
  });

  it('recategorizes on update', () => {
    product
      .given([created, categorized(['Kitchen'])])
      .when({ type: 'UpdateProduct', productId, changes: {}, categories: ['Gifts'], now })
      .then([categorized(['Gifts'])]);
  });

  it('deletes once; a deleted product cannot be updated', () => {
    const deleted: ProductEvent = { type: 'ProductDeleted', data: base };
    const del: ProductCommand = { type: 'DeleteProduct', productId, now };
    product.given([created]).when(del).then([deleted]);
    product.given([created, deleted]).when(del).then([]);
    product.when(del).thenFails('PRODUCT_NOT_FOUND');
    product
      .given([created, deleted])
      .when({ type: 'UpdateProduct', productId, changes: { price: 1 }, now })
      .thenFails('PRODUCT_NOT_FOUND');
  });
});
