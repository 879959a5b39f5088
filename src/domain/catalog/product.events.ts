import * as t from 'io-ts';

/** Events of a `product-{productId}` stream. Prices are integer minor units (cents). */
const base = { productId: t.string, at: t.string };

export const ProductFields = t.type({
  name: t.string,
  description: t.string,
  price: t.number,
  currency: t.string,
  sku: t.string,
});
export type ProductFields = t.TypeOf<typeof ProductFields>;

export const ProductCreated = t.type({
  type: t.literal('ProductCreated'),
  data: t.intersection([t.type(base), ProductFields]),
});
export const ProductUpdated = t.type({
  type: t.literal('ProductUpdated'),
  data: t.type({ ...base, changes: t.partial(ProductFields.props) }),
});
export const ProductCategorized = t.type({
  type: t.literal('ProductCategorized'),
  data: t.type({ ...base, categories: t.array(t.string) }),
});
export const ProductDeleted = t.type({
  type: t.literal('ProductDeleted'),
  data: t.type(base),
});

export const ProductEvent = t.union([
  ProductCreated,
  ProductUpdated,
  ProductCategorized,
  ProductDeleted,
]);
export type ProductEvent = t.TypeOf<typeof ProductEvent>;

export const productStream = (productId: string): string => `product-${productId}`;
