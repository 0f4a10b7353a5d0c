import type { LoggerService, Provider, Type } from '@nestjs/common';
import { WinstonLogger } from 'nest-winston';
import { APP_LOGGER } from '../logging/logger';
import { ConsoleAssets } from './console-assets';
import { ConsoleController } from './console.controller';
import { ConsoleEvents } from './console-events';
import { ConsoleGuard, ConsoleToken } from './console.guard';
import { ConsoleService } from './console.service';
import { LogTail } from './log-tail';
import { MetricsHistory } from './metrics-history';

/** The log tail, added as a transport to the gateway's winston logger (what every line passes through). */
export function logTailFor(logger: LoggerService): LogTail {
  const tail = new LogTail();
  if (logger instanceof WinstonLogger) logger.getWinstonLogger().add(tail.transport);
  return tail;
}

/**
 * What MCP_CONSOLE=1 adds to AppModule: the console's controller and providers. They read the
 * providers of AppModule (catalog, sessions, dispatcher, metrics), so they are part of it rather
 * than a module of their own; with the console off none of them exists.
 */
export function consoleParts(enabled: boolean): { controllers: Type[]; providers: Provider[] } {
  if (!enabled) return { controllers: [], providers: [] };
  return {
    controllers: [ConsoleController],
    providers: [
      { provide: ConsoleAssets, useFactory: () => new ConsoleAssets() },
      { provide: LogTail, useFactory: logTailFor, inject: [APP_LOGGER] },
      ConsoleToken,
      ConsoleGuard,
      ConsoleService,
      MetricsHistory,
      ConsoleEvents,
    ],
  };
}
