import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Runs the real `npm run lint:deps` check (dependency-cruiser's CLI with the project's
// config) on code written to break the rules, so the rule is proven to fire, and on `src`.
// The CLI, not the API: dependency-cruiser is ESM-only and jest runs this file as CommonJS.

const root = path.resolve(__dirname, '../..');
const depcruiseBin = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const config = path.join(root, '.dependency-cruiser.cjs');

interface Violation {
  from: string;
  to: string;
  unresolvedTo?: string;
  rule: { name: string; severity: string };
}

function depcruise(cwd: string, ...args: string[]) {
  const run = spawnSync(process.execPath, [depcruiseBin, 'src', '--config', config, ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  return run;
}

/** dependency-cruiser's violations in `<cwd>/src`, paths relative to `cwd`. */
function violationsIn(cwd: string): Violation[] {
  const run = depcruise(cwd, '--output-type', 'json');
  if (!run.stdout) throw new Error(`dependency-cruiser printed nothing: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

/** The exit code of the check as `npm run lint:deps` runs it (the JSON reporter always exits 0). */
const lintExitCode = (cwd: string) => depcruise(cwd).status;

// Each run starts dependency-cruiser and TypeScript afresh: seconds when the machine is busy.
jest.setTimeout(120_000);

/** `from → target` for each error, the target as written in the import. */
const errors = (violations: Violation[]) =>
  violations
    .filter((v) => v.rule.severity === 'error')
    .map((v) => `${v.rule.name}: ${v.from} → ${v.unresolvedTo ?? v.to}`)
    .sort();

describe('dependency rule: the domain is pure', () => {
  it('reports a domain module importing pg, an IO builtin and a module outside src/domain', () => {
    const fixture = path.join(root, 'test/fixtures/impure-domain');
    const violations = violationsIn(fixture);

    expect(errors(violations)).toEqual([
      'domain-is-pure: src/domain/bad.ts → ../infra/config',
      'domain-is-pure: src/domain/bad.ts → fs', // dependency-cruiser drops `node:`
      'domain-is-pure: src/domain/bad.ts → pg',
    ]);
    // good.ts (fp-ts, io-ts, a sibling) is not reported, and the check fails the build.
    expect(violations.filter((v) => v.from !== 'src/domain/bad.ts')).toEqual([]);
    expect(lintExitCode(fixture)).not.toBe(0);
  });

  it('reports each forbidden import, also by a bare name that does not resolve', () => {
    // Outside the repository nothing resolves into node_modules, so this checks the rule's
    // bare-name patterns (a package not installed yet) and every builtin spelling.
    const targets = [
      'pg',
      'kafkajs',
      'koa',
      '@koa/router',
      '@eventstore/db-client',
      'node:fs',
      'fs/promises',
      'node:net',
      'http',
      'node:child_process',
      '../eventstore',
      '../../src/infra/config',
    ];
    const dir = mkdtempSync(path.join(tmpdir(), 'orderflow-depcruise-'));
    try {
      mkdirSync(path.join(dir, 'src/domain'), { recursive: true });
      mkdirSync(path.join(dir, 'src/eventstore'), { recursive: true });
      mkdirSync(path.join(dir, 'src/infra'), { recursive: true });
      writeFileSync(path.join(dir, 'src/eventstore/index.ts'), 'export type X = 1;\n');
      writeFileSync(path.join(dir, 'src/infra/config.ts'), 'export type X = 1;\n');
      targets.forEach((target, i) => {
        // `import type` on purpose: a type-only dependency is still a dependency.
        const source = `import type { X } from '${target}';\nexport type Y = X;\n`;
        writeFileSync(path.join(dir, `src/domain/impure-${i}.ts`), source);
      });

      expect(errors(violationsIn(dir))).toEqual(
        targets
          .map(
            (target, i) =>
              `domain-is-pure: src/domain/impure-${i}.ts → ${target.replace(/^node:/, '')}`,
          )
          .sort(),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds no violation in the real src', () => {
    const run = depcruise(root); // exactly `npm run lint:deps`
    expect(run.stdout).not.toMatch(/^\s*error /m);
    expect(run.status).toBe(0);
  });
});
