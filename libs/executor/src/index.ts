// The executor's public API: arguments to argv, the sandboxed plugin process, the Python fork
// server, and the one mapping from a plugin's output or a tool's value to an MCP tool result.

// The Nest module and the service it provides.
export { ExecutorModule } from './lib/executor.module';
export { EXECUTOR_OPTIONS } from './lib/executor.module-definition';
export type { ExecutorLogger, ExecutorModuleOptions } from './lib/executor.module-definition';
export { ExecutorService } from './lib/executor.service';
export type {
  ExecuteOptions,
  ExecutionOutcome,
  ExecutorStats,
  InputObtainer,
  InteractiveOptions,
  InteractiveOutcome,
  PluginCommandTarget,
} from './lib/executor.service';
// Input rounds (contract v1.1): a plugin that asks the client, and its re-run with the answers.
export { DEFAULT_INPUT_ROUNDS, inputDocument, readInputRequired } from './lib/input-rounds';

// Defaults of the options (the configuration table shows them).
export { EXECUTOR_DEFAULT_QUEUE_LIMIT, defaultMaxConcurrency } from './lib/executor.constants';
export { DEFAULT_DRAIN_MS, DEFAULT_KILL_GRACE_MS, DEFAULT_MAX_STDERR, DEFAULT_MAX_STDOUT } from './lib/runner';
export { FORK_SERVER_DEFAULT_RETRY_MS, FORK_SERVER_SCRIPT } from './lib/fork-server';
export type { ForkServerState, ForkServerStats } from './lib/fork-server';

// Arguments: checks before anything runs, and their rendering as argv.
export { argumentProblems } from './lib/argument-limits';
export type { ArgumentLimits } from './lib/argument-limits';
export { validateArguments } from './lib/validate';
export { renderArgv } from './lib/argv';
export type { ToolArguments } from './lib/argv';

// Processes and their results.
export { runProcess } from './lib/runner';
export type { OutputLimitExceeded, RunOptions, RunResult } from './lib/runner';
export { mapRunResult, toolResultFromValue } from './lib/result';
// The same for resources, prompts and completions (contract v1.1).
export {
  PluginOutputError,
  boundedCompletion,
  checkedMessages,
  completeFromList,
  completionFromOutput,
  isTextMimeType,
  promptFromOutput,
  resourceContentsFromFile,
  resourceContentsFromOutput,
} from './lib/content';
export type { CompletionValues, RenderedPrompt, ResourceReadRequest } from './lib/content';

// The plugin sandbox: what the host offers, chosen by MCP_SANDBOX.
export { Sandbox, probeSandbox, sandboxShortfall } from './lib/sandbox';
export type { SandboxMode, SandboxSettings } from './lib/sandbox';

// The interpreter that runs cli.py plugins.
export { interpreterProblem, resolvePython, resolvePythonCached } from './lib/interpreter';
export type { InterpreterRecord, InterpreterStore, ResolvedPython } from './lib/interpreter';
