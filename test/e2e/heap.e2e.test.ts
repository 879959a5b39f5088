import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { NODE_FLAGS } from '../../src/infra/heap';

/**
 * `boundHeapGrowth` (what `dist/main.js` calls first) really bounds the heap: the same
 * workload in two child processes, one with it and one without. The workload keeps a live
 * set and makes garbage that lives long enough to be promoted (a ring of recent batches),
 * as in-flight orders do in the service.
 */
const HEAP = path.resolve(__dirname, '../../dist/infra/heap.js');

const workload = (bound: boolean) => `
const v8 = require('node:v8');
${bound ? `require(${JSON.stringify(HEAP)}).boundHeapGrowth();` : ''}
const live = [];
for (let i = 0; i < 400000; i++) live.push({ i, s: 'x' + i });
const ring = new Array(64).fill(null);
let peak = 0;
for (let round = 0; round < 3000; round++) {
  const batch = [];
  for (let j = 0; j < 2000; j++) batch.push({ round, j, s: 'y' + j });
  ring[round % ring.length] = batch;
  if (round % 50 === 0) peak = Math.max(peak, v8.getHeapStatistics().used_heap_size);
}
process.stdout.write(JSON.stringify({ peak, kept: live.length }));
`;

const peakHeapBytes = (bound: boolean): number =>
  (
    JSON.parse(execFileSync(process.execPath, ['-e', workload(bound)], { encoding: 'utf8' })) as {
      peak: number;
    }
  ).peak;

describe('bounded heap growth', () => {
  it('collects the old generation sooner than V8 left to itself', () => {
    const free = peakHeapBytes(false);
    const bound = peakHeapBytes(true);
    // Seen here: 203 MB against 120 MB.
    expect(bound).toBeGreaterThan(0);
    expect(bound).toBeLessThan(free * 0.75);
  });
});

/**
 * NODE_FLAGS really take effect: the same allocation in two child processes, with and without
 * them, counting young-generation collections. Short-lived batches in a ring, so each
 * collection finds a similar live set, as in the service.
 */
const youngWorkload = `
const { PerformanceObserver, constants } = require('node:perf_hooks');
let minor = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (e.detail.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
}).observe({ entryTypes: ['gc'] });
const ring = new Array(256).fill(null);
for (let r = 0; r < 100000; r++) {
  const batch = [];
  for (let j = 0; j < 200; j++) batch.push({ r, j, s: 'y' + j });
  ring[r % ring.length] = batch;
}
setTimeout(() => process.stdout.write(JSON.stringify({ minor })), 100);
`;

const minorCollections = (flags: readonly string[]): number =>
  (
    JSON.parse(
      execFileSync(process.execPath, [...flags, '-e', youngWorkload], { encoding: 'utf8' }),
    ) as { minor: number }
  ).minor;

describe('the node flags the service starts with', () => {
  it('halve the young-generation collections for the same allocation', () => {
    const plain = minorCollections([]);
    const flagged = minorCollections(NODE_FLAGS);
    // Seen here: 166 against 78.
    expect(flagged).toBeGreaterThan(0);
    expect(flagged).toBeLessThan(plain * 0.65);
  });
});
