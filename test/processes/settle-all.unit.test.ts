import { settleAll } from '../../src/processes/fulfilment.commands';

describe('settleAll', () => {
  it('returns every value, in order', async () => {
    await expect(settleAll([Promise.resolve(1), Promise.resolve('two')])).resolves.toEqual([
      1,
      'two',
    ]);
  });

  it('fails with the first failure only after every sibling has finished', async () => {
    let siblingDone = false;
    const sibling = new Promise<void>((resolve) =>
      setTimeout(() => {
        siblingDone = true;
        resolve();
      }, 30),
    );
    const failure = new Error('first');
    await expect(
      settleAll([Promise.reject(failure), sibling, Promise.reject(new Error('second'))]),
    ).rejects.toBe(failure);
    expect(siblingDone).toBe(true);
  });
});
