import baseConfig, { protocolRules } from '../../eslint.config.mjs';

export default [...baseConfig, { files: ['**/*.ts'], rules: protocolRules }];
