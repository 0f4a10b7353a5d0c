module.exports = require('../../jest.preset.cjs').project('nx-plugin', __dirname);
