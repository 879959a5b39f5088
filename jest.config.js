// Tiers by file name: *.unit.test.ts (pure, no IO), *.int.test.ts (real PostgreSQL),
// *.e2e.test.ts (the built program as a child process). Only the IO tiers get a database.
const transform = { '^.+\\.ts$': ['@swc/jest'] };

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { displayName: 'unit', testMatch: ['<rootDir>/{src,test}/**/*.unit.test.ts'], transform },
    {
      displayName: 'int',
      testMatch: ['<rootDir>/{src,test}/**/*.int.test.ts'],
      transform,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    {
      displayName: 'e2e',
      testMatch: ['<rootDir>/{src,test}/**/*.e2e.test.ts'],
      transform,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
  ],
  testTimeout: 30000,
};
