// The architecture's dependency rules, checked by `npm run lint:deps` and proven to fire by
// test/architecture/dependency-rule.unit.test.ts. Paths are relative to the working directory.

/** Packages that are IO by nature: a driver, a broker client, a web framework. */
const infrastructurePackages = ['pg', 'kafkajs', 'koa', '@koa/[^/]+', '@eventstore/db-client'];

/** Node.js builtins that reach outside the process (files, network, processes). */
const ioBuiltins = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'http2',
  'child_process',
  'dgram',
  'dns',
  'dns/promises',
  'tls',
  'cluster',
  'worker_threads',
  'readline',
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment:
        'src/domain holds pure deciders, codecs and types: no IO, no infrastructure, and nothing ' +
        'from the rest of src (adapters depend on the domain, never the other way round). ' +
        'fp-ts and io-ts are fine.',
      from: { path: '^src/domain/' },
      to: {
        path: [
          // An installed package resolves into node_modules (types possibly from @types);
          // one that is not installed stays a bare name. Either way it is caught.
          `(^|node_modules/)(@types/)?(${infrastructurePackages.join('|')})(/|$)`,
          `^(node:)?(${ioBuiltins.join('|')})$`,
          '^src/(?!domain/)',
        ],
      },
    },
    {
      name: 'no-circular',
      severity: 'warn',
      comment:
        'A cycle makes load order fragile and the layers meaningless. Cycles made only of ' +
        '`import type` edges vanish at compile time and are left alone.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Count `import type` too: a type from pg in the domain is a dependency on pg.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
