/**
 * In-process news of committed checkpoint moves, per pool (one pool, one database). A
 * write's read-your-writes wait hears at once when a projection running in the same
 * process passes its position, instead of waiting for its next look at the table.
 */
type Listener = (name: string, position: bigint) => void;

const listeners = new WeakMap<object, Set<Listener>>();

/** Calls `listener` after each committed checkpoint move of a consumer running on `pool`. */
export function onCheckpointMoved(pool: object, listener: Listener): () => void {
  let set = listeners.get(pool);
  if (!set) {
    set = new Set();
    listeners.set(pool, set);
  }
  set.add(listener);
  return () => set.delete(listener);
}

/** Called by the runner once a checkpoint move has committed. */
export function checkpointMoved(pool: object, name: string, position: bigint): void {
  const set = listeners.get(pool);
  if (!set) return;
  for (const listener of set) listener(name, position);
}
