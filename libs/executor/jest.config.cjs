/** @type {import('jest').Config} */
module.exports = require('../../jest.preset.cjs').project('executor', __dirname);
