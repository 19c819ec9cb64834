/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  // `@resetpc/sandbox` (the sandbox/ workspace) resolves to its TypeScript source, which @swc/jest compiles: the tests
  // need no build of the sandbox (tsconfig.json's customConditions says the same to the type checker).
  testEnvironmentOptions: { customExportConditions: ['@resetpc/source', 'node', 'node-addons'] },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2023', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 30000,
  maxWorkers: 2,
};
