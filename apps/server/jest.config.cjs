/** @type {import('jest').Config} */
const base = require('../../jest.preset.cjs').project('server', __dirname, {
  globalSetup: '<rootDir>/test/global-setup.cjs',
});
module.exports = {
  ...base,
  // The OTLP exporter loads node:http with import(), which Jest's CommonJS runtime cannot run: its
  // files are compiled to CommonJS like ours (tracing.e2e-spec.ts exports through it).
  transform: {
    'node_modules/@opentelemetry/otlp-exporter-base/.+\\.js$': [
      'ts-jest',
      // A file, not inline options: Nx's jest plugin reads `tsconfig` as a path when it builds the project graph.
      { tsconfig: '<rootDir>/tsconfig.otlp-transform.json', diagnostics: false },
    ],
    ...base.transform,
  },
  transformIgnorePatterns: ['/node_modules/(?!@opentelemetry/otlp-exporter-base/)'],
};
