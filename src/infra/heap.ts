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

/**
 * Node flags the service runs with, given on every command line that starts it: `npm start`,
 * the `orderflow` bin's shebang, the Dockerfile and docker-compose (bench:orders and the
 * multi-process e2e spawn with them too). V8 sizes the young generation once, at startup,
 * so unlike the growing factor above this cannot be set from inside the process.
 *
 * `--max-semi-space-size=32` (V8's default is 16 MB): an order is in flight for 100-200 ms
 * under load, so what a young-generation collection copies is mostly the in-flight orders,
 * about the same at every collection. Half as many collections cost about half as much: in
 * bench:orders the scavenges' time went from 135-160 to 100-105 us per order and the full
 * collections' from 27-31 to 17-25, for 10-20 MB more RSS (215-237 against 195-219 MB).
 * At 64 MB the scavenges took 71 us per order but RSS reached 280 MB in 10 s phases.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];

/** A flag's name, `-` and `_` alike (V8 accepts either spelling). */
const flagName = (flag: string): string => flag.split('=')[0]!.replace(/_/g, '-');

/**
 * The {@link NODE_FLAGS} this process was started without, neither on its command line nor
 * in NODE_OPTIONS. A flag given with another value counts as given: that is a choice.
 */
export function missingNodeFlags(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].filter(Boolean).map(flagName));
  return NODE_FLAGS.filter((flag) => !given.has(flagName(flag)));
}
