export * from './lib/session';
export * from './lib/session-registry';
export * from './lib/sse';
