// Tiers by file name: *.unit.test.ts (pure, no IO), *.int.test.ts (real PostgreSQL),
// *.e2e.test.ts (the built program as a child process). Only the IO tiers get a database.
// jose ships only as ES modules; Node 20.19+ require()s them, jest's own loader does not,
// so jest compiles it to CommonJS like our sources.
const transform = {
  '^.+\\.ts$': ['@swc/jest'],
  '/node_modules/jose/.+\\.js$': ['@swc/jest'],
};
const transformIgnorePatterns = ['/node_modules/(?!jose/)'];

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testMatch: ['<rootDir>/{src,test}/**/*.unit.test.ts'],
      transform,
      transformIgnorePatterns,
    },
    {
      displayName: 'int',
      testMatch: ['<rootDir>/{src,test}/**/*.int.test.ts'],
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      displayName: 'e2e',
      testMatch: ['<rootDir>/{src,test}/**/*.e2e.test.ts'],
      transform,
      transformIgnorePatterns,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  testTimeout: 30000,
};
