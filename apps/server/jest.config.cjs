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
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'es2022', esModuleInterop: true }, diagnostics: false },
    ],
    ...base.transform,
  },
  transformIgnorePatterns: ['/node_modules/(?!@opentelemetry/otlp-exporter-base/)'],
};
