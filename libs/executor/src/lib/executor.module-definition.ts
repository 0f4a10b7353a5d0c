import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { Sandbox } from './sandbox';

/** Where the executor tells the operator what they should know (Nest's LoggerService fits). */
export interface ExecutorLogger {
  log(message: string, context?: string): unknown;
  warn(message: string, context?: string): unknown;
}

export interface ExecutorModuleOptions {
  /** Resolved Python interpreter used for `cli.py` plugins. */
  python: string;
  /** Default call timeout in ms; 0 = none. */
  timeoutMs: number;
  /** Extra environment variables (names or `PREFIX_*`) every plugin may see (MCP_PLUGIN_ENV). */
  envAllow?: readonly string[];
  /** Output caps in bytes; past them the call is killed and fails (defaults 10 MiB / 1 MiB). */
  maxStdoutBytes?: number;
  maxStderrBytes?: number;
  /** Plugin processes running at once for tool calls; 0 = unlimited; default defaultMaxConcurrency(). */
  maxConcurrency?: number;
  /** Plugin processes of one plugin running at once; 0 (default) = no per-plugin limit. */
  pluginConcurrency?: number;
  /** Calls waiting for a slot; when full, calls fail at once with `busy` (default 100). */
  queueLimit?: number;
  /** ms between SIGTERM and SIGKILL of a plugin's process group (default 2000). */
  killGraceMs?: number;
  /** ms to wait for a plugin's pipes after it exited before killing what holds them (default 250). */
  drainMs?: number;
  /**
   * Run `cli.py` tool calls through a Python fork server (a warm interpreter forked per call) instead
   * of spawning an interpreter each time (MCP_FORK_SERVER; default false here, on in the app).
   */
  forkServer?: boolean;
  /** Plugins (folder names) whose calls are always spawned (MCP_FORK_EXCLUDE). */
  forkExclude?: readonly string[];
  /** ms between a fork server failure and the next start; calls are spawned meanwhile (default 30 s). */
  forkRetryMs?: number;
  /** The plugin sandbox (probeSandbox); default none (Sandbox.off()). */
  sandbox?: Sandbox;
  logger?: ExecutorLogger;
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: EXECUTOR_OPTIONS } =
  new ConfigurableModuleBuilder<ExecutorModuleOptions>().setClassMethodName('forRoot').build();
