// Shared Jest settings for every project. Each project's jest.config.cjs calls project().
const path = require('node:path');
// Nx's preset, less the root-only coverageReporters (Jest warns about it in projects).
// eslint-disable-next-line @typescript-eslint/no-unused-vars
const { coverageReporters, ...nxPreset } = require('@nx/jest/preset').default;

function project(name, dir, overrides = {}) {
  return {
    ...nxPreset,
    displayName: name,
    rootDir: dir,
    testEnvironment: 'node',
    // Specs spawn real processes; on a loaded 2-core machine 5 s is not enough headroom.
    testTimeout: 30_000,
    transform: {
      '^.+\\.[tj]s$': ['ts-jest', { tsconfig: path.join(dir, 'tsconfig.spec.json') }],
    },
    moduleFileExtensions: ['ts', 'js', 'json'],
    testMatch: ['<rootDir>/**/*.spec.ts', '<rootDir>/**/*.e2e-spec.ts'],
    coverageDirectory: path.join(__dirname, 'coverage', name),
    ...overrides,
  };
}

module.exports = { project };
