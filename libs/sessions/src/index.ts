export * from './lib/session';
export * from './lib/session-registry';
export * from './lib/sse';
export * from './lib/read-buffer';
export * from './lib/replay-buffer';
