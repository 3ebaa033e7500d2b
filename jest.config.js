/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // b24jssdk depends on qs-esm, and the store on kysely, which ship ESM only: let swc turn them
  // into CommonJS too.
  transform: { '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
  transformIgnorePatterns: ['/node_modules/(?!(qs-esm|kysely)/)'],
  testTimeout: 30000,
};
