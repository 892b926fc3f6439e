/**
 * Browser tests: the real server (spawned like a user would run it) on a temporary copy of the
 * examples, driven in Debian's Chromium by playwright-core. Screenshots go to ui-tests/artifacts.
 */
module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/tests/**/*.spec.ts'],
  transform: {
    '^.+\\.tsx?$': [
      'ts-jest',
      {
        tsconfig: {
          module: 'commonjs',
          esModuleInterop: true,
          target: 'ES2022',
          isolatedModules: true
        }
      }
    ]
  },
  globalSetup: '<rootDir>/global-setup.ts',
  testTimeout: 240000,
  maxWorkers: 1
};
