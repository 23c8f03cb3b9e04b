// ESM throughout: jose and graphql-ws ship ES modules, so jest runs with
// --experimental-vm-modules (see the "test" script) and ts-jest emits ESM.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  testMatch: [
    '<rootDir>/test/**/*.test.ts',
    '<rootDir>/src/**/__tests__/**/*.test.ts',
  ],
  testTimeout: 60_000,
  // Integration suites start real processes, PostgreSQL databases and the
  // Pub/Sub emulator; two workers match the two cores CI has.
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/support/globalSetup.js',
  globalTeardown: '<rootDir>/test/support/globalTeardown.js',
};
