import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { TOOL_DISCOVERY_OPTIONS } from './discovery.constants';
import type { PluginRunner } from './plugin-runner';
import type { ProfilesDocument } from './profiles/profiles-file';

export interface ToolDiscoveryModuleOptions {
  /**
   * The folder holding one folder per plugin (MCP_PLUGINS_DIR); a relative path is taken against
   * the working directory. It may not exist yet: with `watch`, it is loaded when it appears.
   */
  pluginsDir: string;
  /** ms each `--describe` / `--help` call may take (MCP_DISCOVERY_TIMEOUT). */
  helpTimeoutMs: number;
  /** Plugins examined at once (default DEFAULT_DISCOVERY_CONCURRENCY). */
  concurrency?: number;
  /** JSON file caching descriptions by file identity (MCP_DISCOVERY_CACHE); undefined = no cache. */
  cacheFile?: string;
  /** Identifies the interpreters in cache keys (e.g. the resolved python path and node version). */
  runtime?: string;
  /** How tool names are made from `{plugin}` and `{command}` (MCP_TOOL_NAME_TEMPLATE; default DEFAULT_TOOL_NAME_TEMPLATE). */
  toolNameTemplate?: string;
  /** ms per plugin folder name (MCP_PLUGIN_TIMEOUTS); wins over a command's own `timeout`. */
  pluginTimeouts?: Readonly<Record<string, number>>;
  /** Watch the plugins folder and reload the catalog after changes (MCP_WATCH; default false). */
  watch?: boolean;
  /** Quiet period in ms after the last change before a reload (MCP_WATCH_DEBOUNCE; default DEFAULT_WATCH_DEBOUNCE_MS). */
  watchDebounceMs?: number;
  /**
   * Runs `--describe` and `--help` of a plugin. Discovery starts no process itself: the application
   * supplies this port (the gateway backs it with the executor's sandbox).
   */
  runner: PluginRunner;
  /**
   * The tool profiles (MCP_PROFILES): the file or folder, and its document when the caller has
   * read it already (the gateway does, to refuse a broken file before it starts). Reloaded with `watch`.
   */
  profiles?: { path: string; document?: ProfilesDocument };
  /** Where discovery results and skipped plugins are reported (default Nest's Logger). */
  logger?: LoggerService;
}

export const { ConfigurableModuleClass, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<ToolDiscoveryModuleOptions>({
  optionsInjectionToken: TOOL_DISCOVERY_OPTIONS,
})
  .setClassMethodName('forRoot')
  .build();
