/**
 * Turns many small statements into a few set-based ones, group-commit style. A call made
 * while a batch is in flight waits, and every call that waited goes out as the next batch:
 * one round trip for many callers. With nothing in flight a call goes out on the next turn
 * of the event loop, together with the calls made in the same turn. No timer ever delays a
 * call beyond that.
 *
 * `run` gets the inputs in call order and returns one output per input, in the same order.
 * A batch that fails rejects every call in it with that error; the next batch is unaffected.
 */
export class Batcher<In, Out> {
  private queue: { input: In; resolve: (out: Out) => void; reject: (error: unknown) => void }[] =
    [];
  private busy = false;

  constructor(
    private readonly run: (inputs: readonly In[]) => Promise<readonly Out[]>,
    private readonly maxBatch = 500,
  ) {}

  call(input: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const outputs = await this.run(batch.map((c) => c.input));
        if (outputs.length !== batch.length) {
          throw new Error(`batch of ${batch.length} answered with ${outputs.length} results`);
        }
        batch.forEach((c, i) => c.resolve(outputs[i]!));
      } catch (error) {
        for (const c of batch) c.reject(error);
      }
    }
    this.busy = false;
  }
}

/** One batcher per key object (a pool), made on first use. */
export function batcherPer<Key extends object, In, Out>(
  make: (key: Key) => Batcher<In, Out>,
): (key: Key) => Batcher<In, Out> {
  const batchers = new WeakMap<Key, Batcher<In, Out>>();
  return (key) => {
    let batcher = batchers.get(key);
    if (!batcher) {
      batcher = make(key);
      batchers.set(key, batcher);
    }
    return batcher;
  };
}
