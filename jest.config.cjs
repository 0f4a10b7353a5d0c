// Root Jest config: every project's tests in one run (this is what `npm test` runs).
/** @type {import('jest').Config} */
module.exports = {
  projects: [
    '<rootDir>/libs/*/jest.config.cjs',
    '<rootDir>/apps/*/jest.config.cjs',
    '<rootDir>/mcp/plugins/jest.config.cjs',
    '<rootDir>/tools/nx-plugin/jest.config.cjs',
  ],
};
