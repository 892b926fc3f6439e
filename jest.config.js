/**
 * Unit tests: every `packages/<pkg>/test/*.spec.ts`, run against the TypeScript sources (no build
 * needed). Types are checked by `tsc -b` (sources) and by `tsc -p tsconfig.test.json` in
 * `npm run lint` (tests), so ts-jest only transpiles.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages'],
  testMatch: ['**/test/**/*.spec.ts'],
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
  moduleNameMapper: { '^@opsbook/([a-z-]+)$': '<rootDir>/packages/$1/src' },
  testTimeout: 60000
};
