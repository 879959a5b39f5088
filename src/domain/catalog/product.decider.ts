import * as E from 'fp-ts/Either';
import { assertNever, type Decider } from '../decider';
import type { ProductEvent, ProductFields } from './product.events';

/**
 * A catalog product. Uniqueness of SKU and name spans products, so it is checked by the
 * command layer (a stream cannot see its neighbours); the decider guards one product's life.
 */
export type ProductCommand =
  | ({
      type: 'CreateProduct';
      productId: string;
      categories: string[];
      now: string;
    } & ProductFields)
  | {
      type: 'UpdateProduct';
      productId: string;
      changes: Partial<ProductFields>;
      categories?: string[];
      now: string;
    }
  | { type: 'DeleteProduct'; productId: string; now: string };

export type ProductError =
  | { code: 'PRODUCT_NOT_FOUND'; productId: string }
  | { code: 'PRODUCT_ALREADY_EXISTS'; productId: string }
  | { code: 'INVALID_PRICE' };

export interface ProductState extends ProductFields {
  status: 'absent' | 'live' | 'deleted';
  productId: string;
  categories: readonly string[];
}

export const initialProductState: ProductState = {
  status: 'absent',
  productId: '',
  name: '',
  description: '',
  price: 0,
  currency: '',
  sku: '',
  categories: [],
};

const validPrice = (price: number | undefined) =>
  price === undefined || (Number.isSafeInteger(price) && price >= 0);

/** Category names compare case-insensitively and keep their first spelling. */
export const normalizeCategories = (names: readonly string[]): string[] => {
  const seen = new Map<string, string>();
  for (const n of names.map((x) => x.trim()).filter(Boolean)) {
    if (!seen.has(n.toLowerCase())) seen.set(n.toLowerCase(), n);
  }
  return [...seen.values()];
};

const sameCategories = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x.toLowerCase() === b[i]?.toLowerCase());

export function decideProduct(
  cmd: ProductCommand,
  s: ProductState,
): E.Either<ProductError, readonly ProductEvent[]> {
  const base = { productId: cmd.productId, at: cmd.now };
  switch (cmd.type) {
    case 'CreateProduct': {
      if (s.status !== 'absent')
        return E.left({ code: 'PRODUCT_ALREADY_EXISTS', productId: cmd.productId });
      if (!validPrice(cmd.price)) return E.left({ code: 'INVALID_PRICE' });
      const { name, description, price, currency, sku } = cmd;
      const categories = normalizeCategories(cmd.categories);
      return E.right([
        { type: 'ProductCreated', data: { ...base, name, description, price, currency, sku } },
        ...(categories.length > 0
          ? [{ type: 'ProductCategorized' as const, data: { ...base, categories } }]
          : []),
      ]);
    }
    case 'UpdateProduct': {
      if (s.status !== 'live')
        return E.left({ code: 'PRODUCT_NOT_FOUND', productId: cmd.productId });
      if (!validPrice(cmd.changes.price)) return E.left({ code: 'INVALID_PRICE' });
      const changes = Object.fromEntries(
        Object.entries(cmd.changes).filter(
          ([k, v]) => v !== undefined && s[k as keyof ProductFields] !== v,
        ),
      ) as Partial<ProductFields>;
      const events: ProductEvent[] = [];
      if (Object.keys(changes).length > 0)
        events.push({ type: 'ProductUpdated', data: { ...base, changes } });
      const categories = cmd.categories && normalizeCategories(cmd.categories);
      if (categories && !sameCategories(categories, s.categories)) {
        events.push({ type: 'ProductCategorized', data: { ...base, categories } });
      }
      return E.right(events);
    }
    case 'DeleteProduct':
      if (s.status === 'deleted') return E.right([]); // repeat: no-op
      if (s.status === 'absent')
        return E.left({ code: 'PRODUCT_NOT_FOUND', productId: cmd.productId });
      return E.right([{ type: 'ProductDeleted', data: base }]);
    default:
      return assertNever(cmd);
  }
}

export function evolveProduct(s: ProductState, e: ProductEvent): ProductState {
  switch (e.type) {
    case 'ProductCreated': {
      const { productId, name, description, price, currency, sku } = e.data;
      return { ...s, status: 'live', productId, name, description, price, currency, sku };
    }
    case 'ProductUpdated':
      return { ...s, ...e.data.changes };
    case 'ProductCategorized':
      return { ...s, categories: e.data.categories };
    case 'ProductDeleted':
      return { ...s, status: 'deleted' };
    default:
      return assertNever(e);
  }
}

export const productDecider: Decider<ProductCommand, ProductEvent, ProductState, ProductError> = {
  decide: decideProduct,
  evolve: evolveProduct,
  initialState: initialProductState,
};
