import { execFileSync } from 'node:child_process';
import path from 'node:path';

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
