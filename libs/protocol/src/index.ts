export * from './lib/jsonrpc';
export * from './lib/errors';
export * from './lib/versions';
export * from './lib/parse';
export * from './lib/mcp';
export * from './lib/plugin';
export * from './lib/stateless';
export * from './lib/meta';
