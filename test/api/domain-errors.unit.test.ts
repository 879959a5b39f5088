import * as E from 'fp-ts/Either';
import { domainErrors, domainProblem, orProblem } from '../../src/api/domain-errors';
import { HttpProblem } from '../../src/api/problem';
import type { ProductError } from '../../src/domain/catalog/product.decider';
import type { InventoryError } from '../../src/domain/inventory/inventory.decider';

// Every code the deciders can return, typed by their error unions: a decider that gains a
// code without a row here fails the `satisfies` below at compile time.
const inventoryErrors = {
  INVENTORY_NOT_FOUND: { code: 'INVENTORY_NOT_FOUND' },
  INVALID_QUANTITY: { code: 'INVALID_QUANTITY', field: 'reorder_threshold' },
  INSUFFICIENT_STOCK: { code: 'INSUFFICIENT_STOCK', available: 3, requested: 7 },
  RESERVATION_NOT_FOUND: { code: 'RESERVATION_NOT_FOUND', orderId: 'o-1' },
  RESERVATION_CLOSED: { code: 'RESERVATION_CLOSED', orderId: 'o-1', closedAs: 'committed' },
} satisfies { [K in InventoryError['code']]: Extract<InventoryError, { code: K }> };

const productErrors = {
  PRODUCT_NOT_FOUND: { code: 'PRODUCT_NOT_FOUND', productId: 'p-1' },
  PRODUCT_ALREADY_EXISTS: { code: 'PRODUCT_ALREADY_EXISTS', productId: 'p-1' },
  INVALID_PRICE: { code: 'INVALID_PRICE' },
} satisfies { [K in ProductError['code']]: Extract<ProductError, { code: K }> };

describe('domainProblem', () => {
  it.each([
    [inventoryErrors.INVENTORY_NOT_FOUND, 404],
    [inventoryErrors.INVALID_QUANTITY, 400],
    [inventoryErrors.INSUFFICIENT_STOCK, 409],
    [inventoryErrors.RESERVATION_NOT_FOUND, 409],
    [inventoryErrors.RESERVATION_CLOSED, 409],
    [productErrors.PRODUCT_NOT_FOUND, 404],
    [productErrors.PRODUCT_ALREADY_EXISTS, 409],
    [productErrors.INVALID_PRICE, 400],
  ])('maps %o to %i with the lower-case code', (error, status) => {
    const problem = domainProblem(error);
    expect(problem.status).toBe(status);
    expect(problem.toProblem()).toMatchObject({
      status,
      code: error.code.toLowerCase(),
      type: `https://orderflow.dev/problems/${error.code.toLowerCase()}`,
    });
    expect(problem.options.detail).toEqual(expect.any(String));
  });

  it('has a row for every code the deciders return', () => {
    const codes = [...Object.keys(inventoryErrors), ...Object.keys(productErrors)];
    expect(codes.filter((code) => !(code in domainErrors))).toEqual([]);
  });

  it('names the bad field of INVALID_QUANTITY', () => {
    expect(domainProblem(inventoryErrors.INVALID_QUANTITY).toProblem().errors).toEqual([
      { field: 'body.reorder_threshold', message: expect.any(String) as unknown },
    ]);
  });

  it('names the price for INVALID_PRICE', () => {
    expect(domainProblem(productErrors.INVALID_PRICE).toProblem().errors).toEqual([
      { field: 'body.price', message: expect.any(String) as unknown },
    ]);
  });

  it('tells how much stock there is for INSUFFICIENT_STOCK', () => {
    const problem = domainProblem(inventoryErrors.INSUFFICIENT_STOCK).toProblem();
    expect(problem).toMatchObject({ available: 3, requested: 7 });
    expect(problem.detail).toBe('Not enough stock: 7 requested, 3 available');
  });

  it('says how a closed reservation was closed, in snake_case', () => {
    expect(domainProblem(inventoryErrors.RESERVATION_CLOSED).toProblem()).toMatchObject({
      order_id: 'o-1',
      closed_as: 'committed',
    });
  });

  it('answers an unknown code with 409 carrying the code', () => {
    const problem = domainProblem({ code: 'ORDER_NOT_CANCELLABLE' });
    expect(problem.status).toBe(409);
    expect(problem.toProblem()).toMatchObject({ code: 'order_not_cancellable' });
  });

  it('does not take codes from the prototype chain', () => {
    expect(domainProblem({ code: 'constructor' }).status).toBe(409);
    expect(domainProblem({ code: 'toString' }).toProblem().code).toBe('tostring');
  });
});

describe('orProblem', () => {
  it('returns a Right', () => {
    expect(orProblem(E.right(42))).toBe(42);
  });

  it('throws a Left as its problem', () => {
    const thrown = (() => {
      try {
        orProblem(E.left(productErrors.PRODUCT_NOT_FOUND));
      } catch (error) {
        return error;
      }
    })();
    expect(thrown).toBeInstanceOf(HttpProblem);
    expect((thrown as HttpProblem).status).toBe(404);
  });
});
