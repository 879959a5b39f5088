import { isRight } from 'fp-ts/Either';
import { Sku } from '../../src/catalog/catalog.codecs';
import { generateSku } from '../../src/commands/catalog.products';

describe('generateSku', () => {
  it.each([
    ['Blue Mug', /^BLUE-MUG-[0-9A-F]{6}$/],
    ['  crème brûlée torch, extra-large!', /^CREME-BRULEE-TORCH-[0-9A-F]{6}$/],
    ['Supercalifragilistic', /^SUPERCAL-[0-9A-F]{6}$/],
    ['日本のお茶', /^SKU-[0-9A-F]{6}$/],
  ])('makes a readable, valid SKU from %j', (name, pattern) => {
    const sku = generateSku(name);
    expect(sku).toMatch(pattern);
    expect(isRight(Sku.decode(sku))).toBe(true);
  });

  it('differs between calls for one name', () => {
    const skus = new Set(Array.from({ length: 50 }, () => generateSku('Mug')));
    expect(skus.size).toBe(50);
  });
});
