import { basename, extname } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { OnModuleDestroy } from '@nestjs/common';
import type { CallToolResult, InputAnswers, InputRequired, ObjectSchema, ParameterSpec } from '@sanctum/protocol';
import { ToolErrorCode, toolError } from '@sanctum/protocol';
import { normalizeArguments, renderArgv } from './argv';
import type { ToolArguments } from './argv';
import { EXECUTOR_OPTIONS } from './executor.module-definition';
import type { ExecutorModuleOptions } from './executor.module-definition';
import { buildChildEnv } from './child-env';
import { EXECUTOR_DEFAULT_QUEUE_LIMIT, defaultMaxConcurrency } from './executor.constants';
import { ForkServer, runForked } from './fork-server';
import type { ForkServerEvent, ForkServerStats } from './fork-server';
import { ConcurrencyLimiter } from './limiter';
import { commandLineFor } from './launcher';
import { inputDocument, readInputRequired } from './input-rounds';
import { mapRunResult } from './result';
import { ProcessRun, runProcess } from './runner';
import type { RunOptions, RunResult } from './runner';
import { Sandbox } from './sandbox';
import type { CallCgroup } from './sandbox';
import { validateArguments } from './validate';

/** Everything needed to run one plugin command. */
export interface PluginCommandTarget {
  /** `plugin.command`, used in messages. */
  label: string;
  /** Absolute path of the plugin's entry file (cli.py, cli.js, ...). */
  entryPath: string;
  /** The plugin folder: the child's working directory. */
  cwd: string;
  command: string;
  parameters: readonly ParameterSpec[];
  inputSchema: ObjectSchema;
  /** Overrides the default timeout for this command (ms; 0 = none). */
  timeoutMs?: number;
  /** Environment variables (names or `PREFIX_*`) the plugin declared it needs. */
  envAllow?: readonly string[];
}

export interface ExecuteOptions {
  signal?: AbortSignal;
  /** Extra variables for the child (e.g. a request id). */
  env?: Record<string, string>;
  /** Each stderr line of the plugin as it arrives (progress and log lines). */
  onStderrLine?: (line: string) => void;
  /** A re-run with the client's answers: written to the plugin's stdin as one JSON document. */
  input?: InputAnswers;
}

export interface ExecutionOutcome {
  /** The call's result; when the plugin asked for input, a placeholder the caller replaces. */
  result: CallToolResult;
  /** Absent when nothing was spawned (invalid arguments, busy, cancelled while queued). */
  run?: RunResult;
  /** The plugin ended asking for input (contract v1.1 input rounds): what it asked. */
  inputRequired?: InputRequired;
}

/**
 * How a call obtains the answers to a round: the answers (the plugin is re-run with them), a result
 * that ends the call (cancelled, timed out, a capability the client lacks), or `suspend`: the round
 * goes back to the client as it is (protocol revision 2026-07-28 answers input_required).
 */
export type InputObtainer = (asked: InputRequired, round: number) => Promise<{ responses: Record<string, unknown> } | { result: CallToolResult } | 'suspend'>;

export interface InteractiveOptions extends ExecuteOptions {
  /** Re-runs allowed (MCP_INPUT_ROUNDS). */
  maxRounds: number;
  /** Re-runs already done (a 2026-07-28 retry continues its sealed round), 0 for a new call. */
  round?: number;
}

/** An interactive call's end: a result, or (suspended) the round the client is to answer. */
export interface InteractiveOutcome extends ExecutionOutcome {
  /** Set when the obtainer suspended: the requests and the number of the re-run that will answer them. */
  suspended?: { asked: InputRequired; round: number };
}

/** Plugin processes running for tool calls, calls waiting for a slot, and the limits. */
export interface ExecutorStats {
  running: number;
  queued: number;
  /** 0 = unlimited. */
  maxConcurrency: number;
  queueLimit: number;
}

/** Turns (tool, arguments) into a plugin process and its output into a tool result. */
@Injectable()
export class ExecutorService implements OnModuleDestroy {
  private readonly limiter: ConcurrencyLimiter;
  private readonly maxConcurrency: number;
  private readonly queueLimit: number;
  private readonly forkServer: ForkServer | undefined;
  private readonly forkExclude: ReadonlySet<string>;
  private readonly sandbox: Sandbox;

  constructor(@Inject(EXECUTOR_OPTIONS) private readonly options: ExecutorModuleOptions) {
    this.sandbox = options.sandbox ?? Sandbox.off();
    if (options.sandbox) {
      const line = this.sandbox.describe();
      if (this.sandbox.missing.length > 0 || !this.sandbox.active) options.logger?.warn(line, 'Sandbox');
      else options.logger?.log(line, 'Sandbox');
    }
    this.maxConcurrency = options.maxConcurrency ?? defaultMaxConcurrency();
    this.queueLimit = options.queueLimit ?? EXECUTOR_DEFAULT_QUEUE_LIMIT;
    this.limiter = new ConcurrencyLimiter({
      maxConcurrency: this.maxConcurrency,
      perKeyConcurrency: options.pluginConcurrency ?? 0,
      queueLimit: this.queueLimit,
    });
    this.forkExclude = new Set(options.forkExclude ?? []);
    this.forkServer = options.forkServer
      ? new ForkServer({
          python: options.python,
          env: () => this.childEnv(),
          retryMs: options.forkRetryMs,
          onEvent: (event) => this.onForkEvent(event),
          sandbox: this.sandbox,
          spawn: (args, runOptions) => this.spawnLimited(options.python, args, runOptions),
        })
      : undefined;
  }

  async onModuleDestroy(): Promise<void> {
    await this.forkServer?.stop();
  }

  /** The Python fork server's state and counters; undefined when it is off. */
  forkServerStats(): ForkServerStats | undefined {
    return this.forkServer?.stats();
  }

  /**
   * Start the fork server now instead of on the first Python call; resolves true once it is ready
   * (false when it is off or failed to start).
   */
  startForkServer(): Promise<boolean> {
    return this.forkServer?.start() ?? Promise.resolve(false);
  }

  private onForkEvent(event: ForkServerEvent): void {
    const logger = this.options.logger;
    if (event.type === 'ready') {
      logger?.log(
        `Python fork server ready (pid ${event.pid}, Python ${event.version}, ${event.startMs} ms): cli.py calls are forked from it`,
        'Executor',
      );
    } else if (event.type === 'failed') {
      logger?.warn(
        `Python fork server failed: ${event.reason}. cli.py calls are spawned until it is started again in ${Math.round(event.retryInMs / 1000)} s`,
        'Executor',
      );
    }
  }

  /** Whether a call of this target goes through the fork server (Python entries, not excluded). */
  private forkServerFor(target: Pick<PluginCommandTarget, 'entryPath' | 'cwd'>): ForkServer | undefined {
    if (!this.forkServer || extname(target.entryPath) !== '.py' || this.forkExclude.has(basename(target.cwd))) return undefined;
    return this.forkServer;
  }

  /** The plugin sandbox in use (what is active and what is missing). */
  get sandboxInUse(): Sandbox {
    return this.sandbox;
  }

  /** Spawn a plugin process, inside the sandbox when there is one. */
  private spawn(program: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    const launch = this.sandbox.wrapSpawn(program, args, options.cwd, options.offline === true, options.cgroup);
    return runProcess(launch.program, launch.args, { ...options, sandboxInfoFd: launch.infoFd });
  }

  /**
   * Run one plugin process, forked or spawned, offline when the operator cut the plugin off. With
   * the sandbox's process limit, a spawned one runs in a pids cgroup of its own (removed afterwards);
   * the fork server makes the cgroups of forked calls itself.
   */
  private run(program: string, args: readonly string[], options: RunOptions, forkServer: ForkServer | undefined): Promise<RunResult> {
    const runOptions: RunOptions = {
      ...options,
      maxProcs: this.sandbox.processLimit?.max,
      offline: this.sandbox.active && this.sandbox.isOffline(basename(options.cwd)),
    };
    return forkServer ? runForked(forkServer, args, runOptions) : this.spawnLimited(program, args, runOptions);
  }

  /** Spawn in a pids cgroup of the call's own when the sandbox has a process limit. */
  private async spawnLimited(program: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
    const limit = this.sandbox.processLimit;
    let cgroup: CallCgroup | undefined;
    if (limit) {
      try {
        cgroup = limit.create('s');
      } catch (err) {
        const run = new ProcessRun(options);
        run.finish({ spawnError: `its process-limit cgroup could not be created under ${limit.root}: ${(err as Error).message}` });
        return run.result;
      }
    }
    try {
      return await this.spawn(program, args, { ...options, cgroup });
    } finally {
      cgroup?.remove();
    }
  }

  /** Tool-call plugin processes running now and calls queued for a slot (for metrics and health). */
  stats(): ExecutorStats {
    return { ...this.limiter.stats(), maxConcurrency: this.maxConcurrency, queueLimit: this.queueLimit };
  }

  get python(): string {
    return this.options.python;
  }

  /**
   * The environment a plugin sees: the allow-listed part of the gateway's (see buildChildEnv),
   * never the gateway's own MCP_* settings and keys, plus UTF-8, unbuffered stdio for Python.
   */
  childEnv(extra: Record<string, string> = {}, declared: readonly string[] = []): NodeJS.ProcessEnv {
    return buildChildEnv(process.env, [...(this.options.envAllow ?? []), ...declared], {
      PYTHONIOENCODING: 'utf-8',
      PYTHONUNBUFFERED: '1',
      ...extra,
    });
  }

  /**
   * Run a plugin entry with raw arguments (used by discovery for --help / --describe). Not
   * subject to the call limits: discovery bounds its own parallelism and must not be refused.
   */
  runEntry(entryPath: string, cwd: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
    const { program, args: lead } = commandLineFor(entryPath, { python: this.options.python });
    const options: RunOptions = {
      cwd,
      // Help text is parsed, so it must not be localized; JSON from --describe is locale-free, and
      // keeping the server's locale lets the fork server serve it without a fresh interpreter.
      env: args[0] === '--describe' ? this.childEnv({ COLUMNS: '100' }) : this.childEnv({ LANG: 'C', LC_ALL: 'C', COLUMNS: '100' }),
      timeoutMs,
      maxStdoutBytes: this.options.maxStdoutBytes,
      maxStderrBytes: this.options.maxStderrBytes,
      killGraceMs: this.options.killGraceMs,
      drainMs: this.options.drainMs,
    };
    const forkServer = args[0] === '--describe' ? this.forkServerFor({ entryPath, cwd }) : undefined;
    return this.run(program, [...lead, ...args], options, forkServer);
  }

  async execute(target: PluginCommandTarget, args: ToolArguments, options: ExecuteOptions = {}): Promise<ExecutionOutcome> {
    const { values, unknown, duplicates } = normalizeArguments(target.parameters, args);
    // Agents (Letta among them) send null for optional arguments they leave out: null = not given.
    for (const key of Object.keys(values)) if (values[key] === null) delete values[key];
    const problems: string[] = [];
    if (unknown.length > 0) {
      const accepted = target.parameters.map((p) => p.name).join(', ') || 'none';
      problems.push(`unknown argument${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (accepted: ${accepted})`);
    }
    if (duplicates.length > 0)
      problems.push(`argument given twice under different spellings: ${duplicates.map((k) => `'${k}'`).join(', ')}`);
    if (problems.length === 0) problems.push(...validateArguments(target.inputSchema, values));
    if (problems.length > 0) {
      return { result: toolError(ToolErrorCode.InvalidArguments, `Invalid arguments for ${target.label}: ${problems.join('; ')}.`) };
    }

    const timeoutMs = target.timeoutMs ?? this.options.timeoutMs;
    const { program, args: lead } = commandLineFor(target.entryPath, { python: this.options.python });
    const argv = [...lead, ...renderArgv(target.command, target.parameters, values)];
    // One slot per plugin process; the plugin folder is the per-plugin key.
    const slot = await this.limiter.acquire(target.cwd, options.signal);
    if (!slot.ok) {
      if (slot.reason === 'cancelled') {
        return {
          result: toolError(ToolErrorCode.Cancelled, `${target.label} was cancelled while waiting for a free slot; it never started.`),
        };
      }
      const { running, queued } = this.limiter.stats();
      return {
        result: toolError(
          ToolErrorCode.Busy,
          `The gateway is at capacity (${running} plugin processes running, ${queued} calls queued); ${target.label} was not started. Retry in a few seconds.`,
        ),
      };
    }
    const runOptions: RunOptions = {
      cwd: target.cwd,
      env: this.childEnv(options.env, target.envAllow),
      timeoutMs,
      signal: options.signal,
      onStderrLine: options.onStderrLine,
      maxStdoutBytes: this.options.maxStdoutBytes,
      maxStderrBytes: this.options.maxStderrBytes,
      killGraceMs: this.options.killGraceMs,
      drainMs: this.options.drainMs,
    };
    // A re-run with answers is spawned: forked calls have no stdin (the fork server gives /dev/null).
    if (options.input) runOptions.stdin = inputDocument(options.input);
    const forkServer = options.input ? undefined : this.forkServerFor(target);
    let run: RunResult;
    try {
      run = await this.run(program, argv, runOptions, forkServer);
    } finally {
      slot.release();
    }
    const asked = readInputRequired(run);
    if (asked === undefined) return { result: mapRunResult(run, target.label, timeoutMs), run };
    if ('problem' in asked) return { result: toolError(ToolErrorCode.PluginError, `${target.label} asked for input in a way the gateway cannot use: ${asked.problem}.`), run };
    return { result: { content: [] }, run, inputRequired: asked };
  }

  /**
   * A call that may ask for input (contract v1.1 input rounds): run the command; while it ends with
   * input_required, obtain the answers and run it again with the same arguments and the answers on
   * stdin, at most `maxRounds` times. A plugin still asking after that fails as a plugin_error.
   */
  async executeInteractive(target: PluginCommandTarget, args: ToolArguments, options: InteractiveOptions, obtain: InputObtainer): Promise<InteractiveOutcome> {
    let round = options.round ?? 0;
    let input = options.input;
    for (;;) {
      const outcome = await this.execute(target, args, { ...options, input });
      const asked = outcome.inputRequired;
      if (!asked) return outcome;
      if (round >= options.maxRounds) {
        return {
          result: toolError(
            ToolErrorCode.PluginError,
            `${target.label} asked for input again after ${options.maxRounds} rounds of answers (MCP_INPUT_ROUNDS); the call was ended.`,
          ),
          run: outcome.run,
        };
      }
      const answer = await obtain(asked, round + 1);
      if (answer === 'suspend') return { ...outcome, suspended: { asked, round: round + 1 } };
      if ('result' in answer) return { result: answer.result, run: outcome.run };
      input = { responses: answer.responses, state: asked.state };
      round++;
    }
  }
}
