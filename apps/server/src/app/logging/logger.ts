import type { LoggerService } from '@nestjs/common';
import { WinstonModule } from 'nest-winston';
import * as winston from 'winston';
import type { LogLevel } from '../config/config';

/** Nest's own start-up chatter is debug material; our lines stay at info. */
const FRAMEWORK_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);

const demoteFramework = winston.format((info) => {
  if (info.level === 'info' && typeof info['context'] === 'string' && FRAMEWORK_CONTEXTS.has(info['context'])) {
    // Transports filter on the LEVEL symbol, so both spellings must change.
    info.level = 'debug';
    (info as unknown as Record<symbol, string>)[Symbol.for('level')] = 'debug';
  }
  return info;
});

const textLine = winston.format.printf((info) => {
  const { timestamp, level, message, context, stack } = info as { timestamp: string; level: string; message: unknown; context?: unknown; stack?: unknown };
  const ctx = level === 'debug' && typeof context === 'string' ? ` [${context}]` : '';
  const tail = typeof stack === 'string' ? `\n${stack}` : '';
  return `${timestamp} ${level.toUpperCase()}:${ctx} ${String(message)}${tail}`;
});

export interface LoggerOptions {
  level: LogLevel;
  format: 'text' | 'json';
  /** stdio mode keeps stdout for JSON-RPC: logs go to stderr. */
  stream?: 'stdout' | 'stderr';
  silent?: boolean;
  /** Extra winston transports (tests capture lines with one). */
  transports?: winston.transport[];
}

/** The winston logger behind Nest's LoggerService: timestamps, levels, one line per event. */
export function createLogger(options: LoggerOptions): LoggerService {
  // stdio mode: every line to stderr, whatever its level (Nest's `fatal`, winston's `http` and any
  // level added later included): a Console transport routes levels missing from stderrLevels to stdout.
  const main =
    options.stream === 'stderr'
      ? new winston.transports.Stream({ stream: process.stderr, silent: options.silent })
      : new winston.transports.Console({ stderrLevels: ['error'], silent: options.silent });
  return WinstonModule.createLogger({
    level: options.level,
    format: winston.format.combine(
      demoteFramework(),
      winston.format.timestamp(),
      options.format === 'json' ? winston.format.json() : textLine,
    ),
    transports: [main, ...(options.transports ?? [])],
  });
}

/** DI token of the gateway's LoggerService (a no-op logger in tests that want silence). */
export const APP_LOGGER = Symbol('SANCTUM:LOGGER');
