import { boundHeapGrowth, HEAP_GROWING_PERCENT } from '../../src/infra/heap';

describe('boundHeapGrowth', () => {
  it('sets the heap growing factor', () => {
    const set = jest.fn();
    expect(boundHeapGrowth(['--enable-source-maps'], set)).toBe(true);
    expect(set).toHaveBeenCalledWith(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  });

  it('leaves a value node was started with, in either spelling', () => {
    for (const flag of ['--heap-growing-percent=50', '--heap_growing_percent=300']) {
      const set = jest.fn();
      expect(boundHeapGrowth([flag], set)).toBe(false);
      expect(set).not.toHaveBeenCalled();
    }
  });
});
