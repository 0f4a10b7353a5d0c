export * from './lib/catalog';
export * from './lib/discovery.constants';
export * from './lib/help-parser';
export * from './lib/plugin-discovery.service';
export * from './lib/plugin-runner';
export * from './lib/pool';
export * from './lib/scanner';
export * from './lib/schema';
