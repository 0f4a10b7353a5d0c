import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { DEFAULT_DISCOVERY_CONCURRENCY } from './discovery.constants';
import type { DiscoveryOptions } from './plugin-discovery.service';
import type { PluginRunner } from './plugin-runner';
import type { ToolDiscoveryModuleOptions } from './tool-discovery.module-definition';

export function discoveryOptionsFrom(options: ToolDiscoveryModuleOptions): DiscoveryOptions {
  return {
    // Absolute, so that every log line names the folder actually used.
    pluginsDir: resolve(options.pluginsDir),
    helpTimeoutMs: options.helpTimeoutMs,
    concurrency: options.concurrency ?? DEFAULT_DISCOVERY_CONCURRENCY,
    cacheFile: options.cacheFile,
    runtime: options.runtime,
  };
}

export function discoveryLoggerFrom(options: ToolDiscoveryModuleOptions): LoggerService {
  return options.logger ?? new Logger('Discovery');
}

export function pluginRunnerFrom(options: ToolDiscoveryModuleOptions): PluginRunner {
  return options.runner;
}
