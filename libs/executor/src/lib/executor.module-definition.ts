import { ConfigurableModuleBuilder } from '@nestjs/common';

export interface ExecutorModuleOptions {
  /** Resolved Python interpreter used for `cli.py` plugins. */
  python: string;
  /** Default call timeout in ms; 0 = none. */
  timeoutMs: number;
  /** Extra environment variables (names or `PREFIX_*`) every plugin may see (MCP_PLUGIN_ENV). */
  envAllow?: readonly string[];
  maxStdoutBytes?: number;
  maxStderrBytes?: number;
}

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: EXECUTOR_OPTIONS } =
  new ConfigurableModuleBuilder<ExecutorModuleOptions>().setClassMethodName('forRoot').build();
