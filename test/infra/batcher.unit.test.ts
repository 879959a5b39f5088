import { Batcher, batcherPer } from '../../src/infra/batcher';

/** A batcher whose runs wait for `release()`; records the inputs of each run. */
function gated() {
  const runs: number[][] = [];
  let release: () => void = () => undefined;
  const batcher = new Batcher<number, number>(async (inputs) => {
    runs.push([...inputs]);
    await new Promise<void>((resolve) => (release = resolve));
    return inputs.map((n) => n * 10);
  });
  return { batcher, runs, release: () => release() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Batcher', () => {
  it('runs the calls of one turn as one batch, each caller getting its own result', async () => {
    const { batcher, runs, release } = gated();
    const results = Promise.all([1, 2, 3].map((n) => batcher.call(n)));
    await tick();
    release();
    expect(await results).toEqual([10, 20, 30]);
    expect(runs).toEqual([[1, 2, 3]]);
  });

  it('sends the calls made while a batch is in flight together as the next batch', async () => {
    const { batcher, runs, release } = gated();
    const first = batcher.call(1);
    await tick();
    expect(runs).toEqual([[1]]);
    const later = [2, 3, 4].map((n) => batcher.call(n));
    await tick();
    expect(runs).toEqual([[1]]); // nothing more goes out while the first is in flight
    release();
    expect(await first).toBe(10);
    await tick();
    release();
    expect(await Promise.all(later)).toEqual([20, 30, 40]);
    expect(runs).toEqual([[1], [2, 3, 4]]);
  });

  it('rejects every call of a failed batch and runs the next one normally', async () => {
    let fail = true;
    const batcher = new Batcher<number, number>((inputs) => {
      if (fail) {
        fail = false;
        return Promise.reject(new Error('database down'));
      }
      return Promise.resolve(inputs.map((n) => n + 1));
    });
    const failed = [1, 2].map((n) => batcher.call(n));
    await expect(failed[0]).rejects.toThrow('database down');
    await expect(failed[1]).rejects.toThrow('database down');
    expect(await batcher.call(5)).toBe(6);
  });

  it('rejects a batch whose run answers with the wrong number of results', async () => {
    const batcher = new Batcher<number, number>(() => Promise.resolve([1]));
    const calls = [batcher.call(1), batcher.call(2)];
    await expect(calls[0]).rejects.toThrow('batch of 2 answered with 1 results');
    await expect(calls[1]).rejects.toThrow();
  });

  it('splits a long queue into batches of at most maxBatch', async () => {
    const sizes: number[] = [];
    const batcher = new Batcher<number, number>((inputs) => {
      sizes.push(inputs.length);
      return Promise.resolve([...inputs]);
    }, 4);
    await Promise.all(Array.from({ length: 10 }, (_, i) => batcher.call(i)));
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('keeps one batcher per key', () => {
    const per = batcherPer(
      (key: object) => new Batcher<number, object>((i) => Promise.resolve(i.map(() => key))),
    );
    const a = {};
    expect(per(a)).toBe(per(a));
    expect(per(a)).not.toBe(per({}));
  });
});
