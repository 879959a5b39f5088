import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  boundHeapGrowth,
  HEAP_GROWING_PERCENT,
  missingNodeFlags,
  NODE_FLAGS,
} from '../../src/infra/heap';

const ROOT = path.resolve(__dirname, '../..');

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

describe('missingNodeFlags', () => {
  it('names the flags given neither on the command line nor in NODE_OPTIONS', () => {
    expect(missingNodeFlags([], '')).toEqual([...NODE_FLAGS]);
    expect(missingNodeFlags(['--enable-source-maps'], '--trace-warnings')).toEqual([...NODE_FLAGS]);
    expect(missingNodeFlags([...NODE_FLAGS], '')).toEqual([]);
    expect(missingNodeFlags([], ` ${NODE_FLAGS.join(' ')} `)).toEqual([]);
  });

  it('takes a flag given with another value or spelling as given', () => {
    expect(missingNodeFlags(['--max-semi-space-size=64'], '')).toEqual([]);
    expect(missingNodeFlags([], '--max_semi_space_size=8')).toEqual([]);
  });
});

/**
 * V8 sizes the young generation at startup only, so NODE_FLAGS must be on each command line
 * that starts the service; this fails when one of them drops or changes a flag.
 */
describe('every way to start the service passes NODE_FLAGS', () => {
  const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
  const flags = NODE_FLAGS.join(' ');

  it('npm start', () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe(`node ${flags} dist/main.js all`);
  });

  it("the orderflow bin's shebang", () => {
    expect(read('src/main.ts').split('\n')[0]).toBe(`#!/usr/bin/env -S node ${flags}`);
  });

  it('the Dockerfile and docker-compose', () => {
    const args = NODE_FLAGS.map((f) => `"${f}"`).join(', ');
    expect(read('Dockerfile')).toContain(`CMD ["node", ${args}, "dist/main.js", "all"]`);
    const composeArgs = NODE_FLAGS.map((f) => `'${f}'`).join(', ');
    const commands = read('docker-compose.yml').match(/command: \[.*'dist\/main\.js'.*\]/g);
    expect(commands?.length).toBeGreaterThan(0);
    for (const command of commands ?? []) {
      expect(command).toContain(`['node', ${composeArgs}, 'dist/main.js'`);
    }
  });
});
