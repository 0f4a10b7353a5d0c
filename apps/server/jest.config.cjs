/** @type {import('jest').Config} */
module.exports = require('../../jest.preset.cjs').project('server', __dirname, {
  globalSetup: '<rootDir>/test/global-setup.cjs',
});
