import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { PluginFileError, ToolCatalogService, fillPlaceholders, readPluginFile } from '@sanctum/discovery';
import type {
  PluginContentSource,
  PromptArgumentEntry,
  PromptEntry,
  ProviderCompletion,
  ResourceEntry,
  ResourceMatch,
  ResourceTemplateEntry,
} from '@sanctum/discovery';
import {
  ExecutorService,
  PluginOutputError,
  argumentProblems,
  checkedMessages,
  completeFromList,
  completionFromOutput,
  promptFromOutput,
  resourceContentsFromFile,
  resourceContentsFromOutput,
} from '@sanctum/executor';
import type { CompletionValues, PluginCommandTarget, RenderedPrompt } from '@sanctum/executor';
import { ErrorCode, RpcError, ToolErrorCode, isPlainObject, resourceFieldsOf, stringifyExact } from '@sanctum/protocol';
import type {
  CompletionSpec,
  GetPromptResult,
  ParameterSpec,
  Prompt,
  ReadResourceResult,
  RequestId,
  Resource,
  ResourceContents,
  ResourceTemplate,
} from '@sanctum/protocol';
import type { Session } from '@sanctum/sessions';
import { DISPATCHER_CONFIG } from '../config/config.slices';
import type { DispatcherConfig } from '../config/config.slices';
import { APP_LOGGER } from '../logging/logger';
import { MetricsService } from '../metrics/metrics.service';
import type { ContentOutcome } from '../metrics/metrics.service';
import { InputRequiredAnswer, PluginInput } from './input/plugin-input.service';
import type { InputCall } from './input/plugin-input.service';
import { ResourceSubscriptions } from './resource-subscriptions';
import { SessionViews } from '../profiles/session-views.service';
import type { ContentOffers } from './server-info';

/** Entries per page of resources/list, resources/templates/list and prompts/list. */
export const LIST_PAGE_SIZE = 100;

/** Whether the request is of protocol revision 2026-07-28, which answers an unknown URI with -32602 (SEP-2164). */
export interface ContentRequestContext {
  stateless: boolean;
}

/** A failure of the plugin (or provider) behind a resource or prompt: -32603 with what went wrong. */
class ContentFailure extends Error {
  constructor(
    message: string,
    readonly outcome: ContentOutcome,
  ) {
    super(message);
  }
}

function page<T>(items: readonly T[], params: Record<string, unknown>, method: string): { items: T[]; nextCursor?: string } {
  const cursor = params['cursor'];
  let start = 0;
  if (cursor !== undefined) {
    const decoded = typeof cursor === 'string' ? /^o(\d{1,9})$/.exec(Buffer.from(cursor, 'base64url').toString('latin1')) : null;
    if (!decoded) throw RpcError.invalidParams(`${method}: "cursor" is not one this server gave; send the nextCursor of the previous page, or none for the first.`);
    start = Number(decoded[1]);
  }
  const slice = items.slice(start, start + LIST_PAGE_SIZE);
  const next = start + LIST_PAGE_SIZE;
  return next < items.length ? { items: slice, nextCursor: Buffer.from(`o${next}`, 'latin1').toString('base64url') } : { items: slice };
}

function toResource(entry: ResourceEntry): Resource {
  const resource = { uri: entry.uri, ...resourceFieldsOf(entry) } as Resource;
  if (entry.size !== undefined) resource.size = entry.size;
  return resource;
}

function toTemplate(entry: ResourceTemplateEntry): ResourceTemplate {
  return { uriTemplate: entry.uriTemplate, ...resourceFieldsOf(entry) } as ResourceTemplate;
}

function toPrompt(entry: PromptEntry): Prompt {
  const prompt: Prompt = { name: entry.name };
  if (entry.title !== undefined) prompt.title = entry.title;
  if (entry.description !== undefined) prompt.description = entry.description;
  if (entry.arguments.length > 0) {
    prompt.arguments = entry.arguments.map((arg) => {
      const out: NonNullable<Prompt['arguments']>[number] = { name: arg.name };
      if (arg.description !== undefined) out.description = arg.description;
      if (arg.required) out.required = true;
      return out;
    });
  }
  return prompt;
}

/** String-valued arguments: what prompts and completions pass to a plugin (MCP: `{[key: string]: string}`). */
function stringArguments(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw RpcError.invalidParams(`${what} must be an object mapping argument names to text values.`);
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') throw RpcError.invalidParams(`${what}.${key} must be a text value (MCP prompt arguments are strings).`);
    out[key] = item;
  }
  return out;
}

/** A plugin command run like a tool call with text options only (`--uri=...`, `--app=...`). */
function commandTarget(source: PluginContentSource, command: string, names: readonly string[]): PluginCommandTarget {
  const parameters: ParameterSpec[] = names.map((name) => ({ name, flag: `--${name}`, type: 'string', required: false }));
  return {
    label: `${source.plugin}.${command}`,
    entryPath: source.entryPath,
    cwd: source.dir,
    command,
    parameters,
    inputSchema: { type: 'object', properties: Object.fromEntries(names.map((name) => [name, { type: 'string' }])), additionalProperties: false },
    timeoutMs: source.timeoutMs,
    envAllow: source.env,
  };
}

/**
 * resources/*, prompts/* and completion/complete over the catalog, for every transport and both
 * protocol revisions (the dispatcher hands them here). Plugin commands run through the executor
 * exactly as tool calls do: argument limits, the sandbox, the concurrency limit, timeouts,
 * cancellation (the request's id is tracked in the session), the environment allow-list.
 */
@Injectable()
export class McpContent {
  constructor(
    private readonly catalog: ToolCatalogService,
    private readonly executor: ExecutorService,
    private readonly metrics: MetricsService,
    private readonly subscriptions: ResourceSubscriptions,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
    private readonly views: SessionViews,
    private readonly input: PluginInput,
  ) {}

  /** What there is to advertise (capabilities are advertised only for what exists). */
  offers(): ContentOffers {
    const templates = this.catalog.listResourceTemplates();
    const prompts = this.catalog.listPrompts();
    return {
      resources: templates.length > 0 || this.catalog.listResources().length > 0,
      prompts: prompts.length > 0,
      completions: templates.length > 0 || prompts.some((p) => p.arguments.length > 0),
    };
  }

  /** resources/subscribe (2025 revisions): the URI must be one the catalog can read. */
  subscribe(params: Record<string, unknown>, session: Session, context: ContentRequestContext): Record<string, never> {
    const { uri } = this.resolve(params, 'resources/subscribe', context, session);
    this.subscriptions.subscribe(session, uri);
    return {};
  }

  unsubscribe(params: Record<string, unknown>, session: Session): Record<string, never> {
    const uri = params['uri'];
    if (typeof uri !== 'string' || uri === '') throw RpcError.invalidParams('resources/unsubscribe needs "uri": the URI given to resources/subscribe.');
    this.subscriptions.unsubscribe(session, uri);
    return {};
  }

  // Lists, reads and gets go through the session's profiles (SessionViews): what its view does not
  // show is answered exactly as an unknown resource, template or prompt.
  listResources(params: Record<string, unknown>, session: Session): { resources: Resource[]; nextCursor?: string } {
    const view = this.views.viewOf(session);
    const { items, nextCursor } = page(this.catalog.listResources().filter((entry) => view.showsResource(entry)), params, 'resources/list');
    return nextCursor ? { resources: items.map(toResource), nextCursor } : { resources: items.map(toResource) };
  }

  listResourceTemplates(params: Record<string, unknown>, session: Session): { resourceTemplates: ResourceTemplate[]; nextCursor?: string } {
    const view = this.views.viewOf(session);
    const { items, nextCursor } = page(this.catalog.listResourceTemplates().filter((entry) => view.showsTemplate(entry)), params, 'resources/templates/list');
    return nextCursor ? { resourceTemplates: items.map(toTemplate), nextCursor } : { resourceTemplates: items.map(toTemplate) };
  }

  listPrompts(params: Record<string, unknown>, session: Session): { prompts: Prompt[]; nextCursor?: string } {
    const view = this.views.viewOf(session);
    const { items, nextCursor } = page(this.catalog.listPrompts().filter((entry) => view.showsPrompt(entry)), params, 'prompts/list');
    return nextCursor ? { prompts: items.map(toPrompt), nextCursor } : { prompts: items.map(toPrompt) };
  }

  /** Whether `uri` names a resource (or matches a template) the session's profiles show. */
  visible(uri: string, session: Session): boolean {
    return this.visibleMatch(uri, session) !== undefined;
  }

  private visibleMatch(uri: string, session: Session): ResourceMatch | undefined {
    const found = this.catalog.findResource(uri);
    if (found === undefined) return undefined;
    const view = this.views.viewOf(session);
    return (found.kind === 'resource' ? view.showsResource(found.entry) : view.showsTemplate(found.entry)) ? found : undefined;
  }

  /** The entry serving a URI, or the revision's "resource not found" error. */
  resolve(params: Record<string, unknown>, method: string, context: ContentRequestContext, session: Session): { uri: string; match: ResourceMatch } {
    const uri = params['uri'];
    if (typeof uri !== 'string' || uri === '') throw RpcError.invalidParams(`${method} needs "uri": a URI from resources/list, or one matching a template of resources/templates/list.`);
    const match = this.visibleMatch(uri, session);
    if (!match) throw RpcError.resourceNotFound(uri, context.stateless ? ErrorCode.InvalidParams : ErrorCode.ResourceNotFound);
    return { uri, match };
  }

  async readResource(requestId: RequestId, params: Record<string, unknown>, session: Session, context: ContentRequestContext): Promise<ReadResourceResult> {
    const { uri, match } = this.resolve(params, 'resources/read', context, session);
    const entry = match.entry;
    const variables = match.kind === 'template' ? match.variables : {};
    const contents = await this.tracked(requestId, session, 'resource', entry.owner, `${entry.owner} ${entry.name}`, async (signal) => {
      const source = entry.source;
      if (source.kind === 'provider') return this.providerContents(await source.read(uri, variables), uri, entry.mimeType, entry.owner);
      if (source.content.kind === 'file') {
        const bytes = await readPluginFile(source.dir, source.content.path, this.config.maxStdoutBytes).catch((err: unknown) => {
          if (err instanceof PluginFileError) throw new ContentFailure(`the file of ${uri} cannot be read: ${err.message}`, 'plugin_error');
          throw err;
        });
        return resourceContentsFromFile(bytes, { uri, mimeType: entry.mimeType });
      }
      const label = `${source.plugin}.${source.content.command}`;
      const call: InputCall = { session, stateless: context.stateless, requestId, params, target: `resources/read ${uri}`, label };
      const stdout = await this.run(commandTarget(source, source.content.command, ['uri', ...Object.keys(variables)]), { uri, ...variables }, signal, call);
      return resourceContentsFromOutput(stdout, { uri, mimeType: entry.mimeType, label });
    });
    return { contents };
  }

  async getPrompt(requestId: RequestId, params: Record<string, unknown>, session: Session, context: ContentRequestContext = { stateless: false }): Promise<GetPromptResult> {
    const name = params['name'];
    if (typeof name !== 'string' || name === '') throw RpcError.invalidParams('prompts/get needs "name": a prompt name from prompts/list.');
    const entry = this.visiblePrompt(name, session);
    if (!entry) throw RpcError.invalidParams(`Unknown prompt: '${name}'. Call prompts/list to see the available prompts.`);
    const args = stringArguments(params['arguments'], 'arguments');
    const declared = new Set(entry.arguments.map((a) => a.name));
    const unknown = Object.keys(args).filter((key) => !declared.has(key));
    if (unknown.length > 0) {
      throw RpcError.invalidParams(
        `prompt '${name}' has no argument${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')} (accepted: ${[...declared].join(', ') || 'none'}).`,
      );
    }
    const missing = entry.arguments.filter((a) => a.required && (args[a.name] === undefined || args[a.name] === '')).map((a) => a.name);
    if (missing.length > 0) {
      throw RpcError.invalidParams(`prompt '${name}' needs the argument${missing.length > 1 ? 's' : ''} ${missing.map((k) => `'${k}'`).join(', ')}.`);
    }
    const limits = argumentProblems(args, this.config);
    if (limits.length > 0) throw RpcError.invalidParams(`arguments of prompt '${name}': ${limits.join('; ')}.`);
    const rendered = await this.tracked(requestId, session, 'prompt', entry.qualifiedName.split('.')[0], entry.qualifiedName, async (signal): Promise<RenderedPrompt> => {
      const source = entry.source;
      if (source.kind === 'provider') return this.providerPrompt(await source.render(args), entry.qualifiedName);
      if (source.prompt.kind === 'template') {
        const filled = source.prompt.messages.map((m) => ({ role: m.role, content: fillContent(m.content, args) }));
        return { messages: checkedMessages(filled, entry.qualifiedName) };
      }
      const label = `${source.plugin}.${source.prompt.command}`;
      const call: InputCall = { session, stateless: context.stateless, requestId, params, target: `prompts/get ${entry.qualifiedName}`, label };
      const stdout = await this.run(commandTarget(source, source.prompt.command, [...declared]), args, signal, call);
      return promptFromOutput(stdout, label);
    });
    const result: GetPromptResult = { messages: rendered.messages };
    const description = rendered.description ?? entry.description;
    if (description !== undefined) result.description = description;
    return result;
  }

  async complete(requestId: RequestId, params: Record<string, unknown>, session: Session): Promise<{ completion: CompletionValues }> {
    const ref = params['ref'];
    const argument = params['argument'];
    if (!isPlainObject(ref)) throw RpcError.invalidParams('completion/complete needs "ref": {"type": "ref/prompt", "name": ...} or {"type": "ref/resource", "uri": <URI template>}.');
    if (!isPlainObject(argument) || typeof argument['name'] !== 'string' || typeof argument['value'] !== 'string') {
      throw RpcError.invalidParams('completion/complete needs "argument": {"name": <argument or variable>, "value": <the partial value>}.');
    }
    const context = isPlainObject(params['context']) ? stringArguments(params['context']['arguments'], 'context.arguments') : {};
    const { completion, source, owner, label } = this.completionOf(ref, argument['name'], session);
    const partial = argument['value'];
    if (!completion) return { completion: { values: [] } };
    if (completion.kind === 'values') return { completion: completeFromList(completion.values, partial) };
    const found = await this.tracked(requestId, session, 'completion', owner, label, async (signal) => {
      if (completion.kind === 'provider') return completeFromList(await completion.complete(partial, context), '');
      if (!source) throw new ContentFailure(`${label} has no plugin to run`, 'internal_error');
      const names = ['argument', 'value', ...Object.keys(context).filter((k) => k !== 'argument' && k !== 'value')];
      const args: Record<string, string> = { ...context, argument: argument['name'] as string, value: partial };
      const stdout = await this.run(commandTarget(source, completion.command, names), args, signal);
      return completionFromOutput(stdout, `${source.plugin}.${completion.command}`);
    });
    return { completion: found };
  }

  /** A prompt the session's view shows, by name. */
  private visiblePrompt(name: string, session: Session): PromptEntry | undefined {
    const entry = this.catalog.getPrompt(name);
    return entry !== undefined && this.views.viewOf(session).showsPrompt(entry) ? entry : undefined;
  }

  private completionOf(
    ref: Record<string, unknown>,
    name: string,
    session: Session,
  ): { completion?: CompletionSpec | ProviderCompletion; source?: PluginContentSource; owner: string; label: string } {
    if (ref['type'] === 'ref/prompt') {
      const prompt = typeof ref['name'] === 'string' ? this.visiblePrompt(ref['name'], session) : undefined;
      if (!prompt) throw RpcError.invalidParams(`Unknown prompt: '${String(ref['name'])}'. Call prompts/list to see the available prompts.`);
      const arg: PromptArgumentEntry | undefined = prompt.arguments.find((a) => a.name === name);
      if (!arg) throw RpcError.invalidParams(`prompt '${prompt.name}' has no argument '${name}' (arguments: ${prompt.arguments.map((a) => a.name).join(', ') || 'none'}).`);
      return { completion: arg.completion, source: prompt.source.kind === 'plugin' ? prompt.source : undefined, owner: prompt.qualifiedName.split('.')[0], label: `${prompt.qualifiedName} ${name}` };
    }
    if (ref['type'] === 'ref/resource') {
      const found = typeof ref['uri'] === 'string' ? this.catalog.getResourceTemplate(ref['uri']) : undefined;
      const template = found !== undefined && this.views.viewOf(session).showsTemplate(found) ? found : undefined;
      if (!template) throw RpcError.invalidParams(`Unknown resource template: '${String(ref['uri'])}'. Call resources/templates/list to see them.`);
      if (!template.template.variableNames.includes(name)) {
        throw RpcError.invalidParams(`resource template '${template.uriTemplate}' has no variable '${name}' (variables: ${template.template.variableNames.join(', ')}).`);
      }
      return { completion: template.completions?.[name], source: template.source.kind === 'plugin' ? template.source : undefined, owner: template.owner, label: `${template.owner} ${template.name} ${name}` };
    }
    throw RpcError.invalidParams(`completion/complete: ref.type must be "ref/prompt" or "ref/resource", not ${stringifyExact(ref['type'] ?? null)}.`);
  }

  /**
   * Run one plugin command for content; its stdout, or a ContentFailure with the tool-style error
   * text (stderr excerpt included). With `call` (resources/read, prompts/get) the command may ask the
   * client for input; an InputRequiredAnswer goes back for a 2026-07-28 round.
   */
  private async run(target: PluginCommandTarget, args: Record<string, string>, signal: AbortSignal, call?: InputCall): Promise<string> {
    const outcome = call ? await this.input.run(target, args, { signal }, call) : await this.executor.execute(target, args, { signal });
    if (outcome instanceof InputRequiredAnswer) throw outcome;
    const { result, run } = outcome;
    if (outcome.inputRequired) throw new ContentFailure(`${target.label} asked for input, which a completion cannot do`, 'plugin_error');
    if (result.isError || !run) {
      const error = isPlainObject(result.structuredContent) ? result.structuredContent['error'] : undefined;
      const code = isPlainObject(error) && typeof error['code'] === 'string' ? error['code'] : ToolErrorCode.PluginError;
      const text = result.content.map((block) => (block.type === 'text' ? block.text : '')).join('\n');
      throw new ContentFailure(text, code as ContentOutcome);
    }
    return run.stdout;
  }

  /**
   * One read, rendering or completion: tracked in the session under the request's id (so
   * notifications/cancelled and the end of the session abort it), logged and counted by outcome.
   * A plugin's failure becomes -32603 with its message, never an empty result.
   */
  private async tracked<T>(
    requestId: RequestId,
    session: Session,
    kind: 'resource' | 'prompt' | 'completion',
    owner: string,
    label: string,
    work: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    if (session.isTracking(requestId)) {
      throw RpcError.invalidRequest(`a request with id ${stringifyExact(requestId)} is already running in this session; use a new id for each request.`);
    }
    const started = performance.now();
    const signal = session.track(requestId);
    let outcome: ContentOutcome = 'ok';
    try {
      return await work(signal);
    } catch (err) {
      if (err instanceof InputRequiredAnswer) {
        outcome = 'input_required';
        throw err;
      }
      if (err instanceof ContentFailure) {
        outcome = err.outcome;
        throw RpcError.internal(`${kind === 'resource' ? 'reading' : kind === 'prompt' ? 'rendering' : 'completing'} ${label} failed: ${err.message}`);
      }
      if (err instanceof PluginOutputError) {
        outcome = 'plugin_error';
        throw RpcError.internal(`${err.message}.`);
      }
      outcome = 'internal_error';
      if (err instanceof RpcError) throw err;
      this.logger.error(`${kind} ${label} failed: ${(err as Error).stack ?? String(err)}`, 'McpContent');
      throw RpcError.internal(`${label} failed: ${(err as Error).message}`);
    } finally {
      session.untrack(requestId);
      const ms = Math.round(performance.now() - started);
      this.metrics.recordContent(kind, owner, outcome, (performance.now() - started) / 1000);
      const line = `${kind === 'resource' ? 'Resource read' : kind === 'prompt' ? 'Prompt rendered' : 'Completion'}: ${label} (${session.id}) in ${ms} ms`;
      if (outcome === 'ok' || outcome === 'input_required') this.logger.log({ message: outcome === 'ok' ? line : `${line} (input required)`, sessionId: session.id, outcome }, 'Content');
      else this.logger.warn({ message: `${line} (${outcome})`, sessionId: session.id, outcome }, 'Content');
    }
  }

  /** A provider's value: text, or `{"contents": [...]}`, mapped as a plugin's stdout would be. */
  private providerContents(value: unknown, uri: string, mimeType: string | undefined, owner: string): ResourceContents[] {
    const text = typeof value === 'string' ? value : JSON.stringify(value ?? '');
    return resourceContentsFromOutput(text, { uri, mimeType, label: owner });
  }

  private providerPrompt(value: unknown, label: string): RenderedPrompt {
    return promptFromOutput(typeof value === 'string' ? value : JSON.stringify(value ?? ''), label);
  }
}

/** A template message's content with `{argument}` filled in every text field, nested ones too. */
function fillContent(content: Record<string, unknown>, args: Readonly<Record<string, string>>): Record<string, unknown> {
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') return fillPlaceholders(value, args);
    if (Array.isArray(value)) return value.map(fill);
    if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
    return value;
  };
  return fill(content) as Record<string, unknown>;
}
