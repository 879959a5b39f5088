import { setFlagsFromString } from 'node:v8';

/**
 * How far past what the last full collection kept V8 lets the old generation grow before it
 * collects again, in percent. Left to itself V8 picks up to 300% when collecting is cheap
 * beside allocating, which is the case here: in bench:orders the heap kept 35-60 MB and
 * grew to 250 MB between full collections, so the service's RSS was 350-386 MB after 60 s.
 * At 100% (twice what was kept) the same runs stayed at 190-240 MB; the full collections
 * came more often (62 instead of 25 in a 60 s run, 10-15 ms each) with no throughput change
 * that two alternating pairs of runs could tell from noise.
 */
export const HEAP_GROWING_PERCENT = 100;

const OWN_FLAG = /^--heap[-_]growing[-_]percent(=|$)/;

/**
 * Sets V8's heap growing factor for this process (the flag is read at each collection, so
 * setting it at startup takes effect), unless node was started with a value of its own.
 * Returns whether it set it.
 */
export function boundHeapGrowth(
  execArgv: readonly string[] = process.execArgv,
  setFlags: (flags: string) => void = setFlagsFromString,
): boolean {
  if (execArgv.some((arg) => OWN_FLAG.test(arg))) return false;
  setFlags(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
