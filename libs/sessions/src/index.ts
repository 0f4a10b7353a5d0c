export { ClientRequestEnded, Session } from './lib/session';
export type { ClientAnswer, ClientRequestOptions, OutgoingMessage, SendOptions, SessionConsumer, SessionPeer, TransportKind } from './lib/session';
export { SessionRegistry, sessionLogLines } from './lib/session-registry';
export type { IdleSince, SessionActivity, SessionAdmission, SessionCounts, SessionEnding, SessionTotals } from './lib/session-registry';
export { InMemorySessionRegistry } from './lib/in-memory-session-registry';
export { SessionLimits, capVariables, refusalMessages } from './lib/session-limits';
export type { CappedKind, Occupancy, SessionCaps, SessionRefusal } from './lib/session-limits';
export { SessionStoreUnreachable, SessionsModule } from './lib/sessions.module';
export { RedisSessionRegistry, SessionStoreUnavailable } from './lib/redis/redis-session-registry';
export { ENTRY_ID, STOPPED_INSTANCE_MESSAGE, SessionBus, SessionKeys } from './lib/redis/session-bus';
export type { BusEvent, BusObserver, SessionBusOptions, StreamEntry } from './lib/redis/session-bus';
export type { SessionsModuleExtras, SessionsModuleOptions } from './lib/sessions.module-definition';
export { ANONYMOUS_PRINCIPAL, SESSIONS_LOGGER, SESSIONS_OPTIONS } from './lib/sessions.constants';
export { SessionStreams, StreamableHttpStreams, STANDALONE_STREAM, sendsPrimingEvent } from './lib/streamable-http-streams';
export type { DeferredPost, PostStream, ResumeResult } from './lib/streamable-http-streams';
export { DEFAULT_MAX_UNSENT_BYTES, SSE_RETRY_MS, SseSink } from './lib/sse-sink';
export type { SseSinkOptions, SseStream } from './lib/sse-sink';
export { SseSinkFactory, overflowLine } from './lib/sse-sink.factory';
export type { SseStreamOwner, StreamOverflow } from './lib/sse-sink.factory';
export {
  DEFAULT_KEEPALIVE_MS,
  KEEPALIVE_FRAME,
  KeepaliveTicker,
  connectHttpSseStream,
  formatSseComment,
  formatSseEvent,
  keepaliveTicker,
  httpSseStream,
} from './lib/sse';
export type { KeepaliveTarget, SseOutput } from './lib/sse';
export { DEFAULT_REPLAY_BYTES, DEFAULT_REPLAY_EVENTS, ReplayBuffer } from './lib/replay-buffer';
export type { ReplayBufferOptions, ReplayEvent, ReplayResult } from './lib/replay-buffer';
export { ReadBuffer, serializeLine } from './lib/read-buffer';
export type { ReadItem } from './lib/read-buffer';
