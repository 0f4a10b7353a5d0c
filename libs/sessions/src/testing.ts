import type { LoggerService } from '@nestjs/common';
import { InMemorySessionRegistry } from './lib/in-memory-session-registry';
import { SessionLimits } from './lib/session-limits';
import type { SessionCaps } from './lib/session-limits';
import type { SseStream } from './lib/sse-sink';

/** Fakes for specs of code that uses `@sanctum/sessions`. */

export type LogLevel = 'log' | 'error' | 'warn' | 'debug' | 'verbose' | 'fatal';

export interface LogEntry {
  level: LogLevel;
  message: string;
  context: string | undefined;
}

/** A `LoggerService` that keeps every line, for asserting what was logged. */
export class RecordingLogger implements LoggerService {
  readonly entries: LogEntry[] = [];

  log(message: unknown, context?: string): void {
    this.record('log', message, context);
  }

  error(message: unknown, _trace?: string, context?: string): void {
    this.record('error', message, context);
  }

  warn(message: unknown, context?: string): void {
    this.record('warn', message, context);
  }

  debug(message: unknown, context?: string): void {
    this.record('debug', message, context);
  }

  verbose(message: unknown, context?: string): void {
    this.record('verbose', message, context);
  }

  fatal(message: unknown, context?: string): void {
    this.record('fatal', message, context);
  }

  /** The messages logged at `level` (default: info, Nest's `log`). */
  messages(level: LogLevel = 'log'): string[] {
    return this.entries.filter((e) => e.level === level).map((e) => e.message);
  }

  private record(level: LogLevel, message: unknown, context: string | undefined): void {
    this.entries.push({ level, message: typeof message === 'string' ? message : JSON.stringify(message), context });
  }
}

/** The default registry with a recording logger and the given caps (defaults: 10,000 and 100, as the gateway's). */
export function recordingSessionRegistry(caps: Partial<SessionCaps> = {}): { registry: InMemorySessionRegistry; logger: RecordingLogger } {
  const logger = new RecordingLogger();
  const limits = new SessionLimits({ maxSessions: caps.maxSessions ?? 10_000, maxSessionsPerKey: caps.maxSessionsPerKey ?? 100 });
  return { registry: new InMemorySessionRegistry(limits, logger), logger };
}

/** A stand-in for an open SSE response: records what is written, whether it was ended, and lets a test drop the client. */
export interface FakeSseStream extends SseStream {
  readonly chunks: string[];
  /** Whether the server ended it (`end()`), as opposed to the client going away. */
  readonly ended: boolean;
  /** The client goes away: close handlers run, later writes are lost. */
  drop(): void;
}

export function fakeSseStream(): FakeSseStream {
  const handlers: Array<() => void> = [];
  const chunks: string[] = [];
  let closed = false;
  let ended = false;
  const drop = (): void => {
    if (closed) return;
    closed = true;
    for (const handler of handlers.splice(0)) handler();
  };
  return {
    chunks,
    get ended() {
      return ended;
    },
    get closed() {
      return closed;
    },
    write(chunk: string) {
      if (!closed) chunks.push(chunk);
    },
    end() {
      ended = true;
      drop();
    },
    onClose(handler: () => void) {
      if (closed) handler();
      else handlers.push(handler);
    },
    drop,
  };
}
