import type { LoggerService } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ToolCatalogService } from '@sanctum/discovery';
import type { ToolEntry } from '@sanctum/discovery';
import { ExecutorService } from '@sanctum/executor';
import { LATEST_PROTOCOL_VERSION, ToolErrorCode, toolError } from '@sanctum/protocol';
import type { CallToolResult, JsonRpcMessage, JsonRpcResponse, JsonRpcSuccess } from '@sanctum/protocol';
import { Session } from '@sanctum/sessions';
import { loadConfig } from '../config/config';
import type { AppConfig } from '../config/config';
import { configProviders } from '../config/config.slices';
import { APP_LOGGER } from '../logging/logger';
import { MetricsService } from '../metrics/metrics.service';
import type { CallOutcome } from '../metrics/metrics.service';
import { SessionViews } from '../profiles/session-views.service';
import { McpContent } from './mcp-content.service';
import { McpDispatcher } from './mcp-dispatcher.service';
import { PluginInput } from './input/plugin-input.service';
import { RequestStateSeal } from './input/request-state';
import { SERVER_INFO, SERVER_INSTRUCTIONS } from './server-info';

/** The parts of each collaborator the dispatcher uses, as typed doubles. */
type CatalogDouble = Pick<ToolCatalogService, 'list' | 'get'>;
type Execute = ExecutorService['execute'];
type ExecutorDouble = { execute: jest.Mock<ReturnType<Execute>, Parameters<Execute>>; executeInteractive: ExecutorService['executeInteractive'] };
type MetricsDouble = {
  inFlight: { inc: jest.Mock<void, []>; dec: jest.Mock<void, []> };
  recordCall: jest.Mock<void, [string, CallOutcome, number, string?]>;
};

const plugin = (command: string, extra: Partial<ToolEntry> = {}): ToolEntry => ({
  name: `deploy__${command}`,
  qualifiedName: `deploy.${command}`,
  description: `The ${command} command`,
  inputSchema: { type: 'object', properties: { env: { type: 'string' } } },
  source: {
    kind: 'plugin',
    plugin: 'deploy',
    dir: '/plugins/deploy',
    entryPath: '/plugins/deploy/cli.py',
    command: { name: command, description: `The ${command} command`, parameters: [{ name: 'env', type: 'string', required: false }] },
  },
  ...extra,
});

const provider = (invoke: (args: Record<string, unknown>) => Promise<unknown>): ToolEntry => ({
  name: 'clock__now',
  qualifiedName: 'clock.now',
  description: 'The time',
  inputSchema: { type: 'object', properties: { zone: { type: 'string' } }, required: ['zone'], additionalProperties: false },
  source: { kind: 'provider', invoke },
});

const ok: CallToolResult = { content: [{ type: 'text', text: '{"deployed": true}' }], structuredContent: { deployed: true } };

describe('McpDispatcher', () => {
  let entries: ToolEntry[];
  let catalog: CatalogDouble;
  let executor: ExecutorDouble;
  let metrics: MetricsDouble;
  let logger: jest.Mocked<LoggerService>;
  let session: Session;
  let sent: JsonRpcMessage[];

  async function dispatcher(overrides: Partial<AppConfig> = {}): Promise<McpDispatcher> {
    const config: AppConfig = { ...loadConfig({}), watchPlugins: true, ...overrides };
    const moduleRef = await Test.createTestingModule({
      providers: [
        McpDispatcher,
        { provide: ToolCatalogService, useValue: catalog },
        { provide: ExecutorService, useValue: executor },
        PluginInput,
        { provide: RequestStateSeal, useValue: RequestStateSeal.generated(60_000) },
        { provide: MetricsService, useValue: metrics },
        { provide: McpContent, useValue: { offers: () => ({ resources: false, prompts: false, completions: false }) } satisfies Pick<McpContent, 'offers'> },
        // Every session sees the whole catalog (the profiles have specs of their own).
        {
          provide: SessionViews,
          useValue: {
            tools: () => catalog.list(),
            resolve: (_session: Session, name: string) => {
              const entry = catalog.get(name);
              return entry === undefined ? undefined : { entry };
            },
            profileOf: () => 'default',
            changesToolList: () => false,
          } satisfies Pick<SessionViews, 'tools' | 'resolve' | 'profileOf' | 'changesToolList'>,
        },
        ...configProviders(config),
        { provide: APP_LOGGER, useValue: logger },
      ],
    }).compile();
    return moduleRef.get(McpDispatcher);
  }

  const request = (id: number | string, method: string, params?: Record<string, unknown>) => ({
    jsonrpc: '2.0' as const,
    id,
    method,
    params,
  });
  const call = (id: number | string, name: string, args?: unknown, meta?: Record<string, unknown>) =>
    request(id, 'tools/call', { name, arguments: args, ...(meta ? { _meta: meta } : {}) });
  const resultOf = (response: JsonRpcResponse | null): Record<string, unknown> => {
    expect(response).toEqual(expect.objectContaining({ result: expect.any(Object) }));
    return (response as JsonRpcSuccess).result as Record<string, unknown>;
  };
  const errorOf = (response: JsonRpcResponse | null): { code: number; message: string } => {
    expect(response).toEqual(expect.objectContaining({ error: expect.any(Object) }));
    return (response as { error: { code: number; message: string } }).error;
  };

  beforeEach(() => {
    entries = [plugin('run')];
    catalog = { list: () => entries, get: (name) => entries.find((e) => e.name === name || e.qualifiedName === name) };
    const execute = jest.fn<ReturnType<Execute>, Parameters<Execute>>(async () => ({ result: ok }));
    // The real rounds over the double's execute: a plugin that never asks runs once.
    executor = { execute, executeInteractive: (...args) => ExecutorService.prototype.executeInteractive.apply(executor, args) };
    metrics = { inFlight: { inc: jest.fn(), dec: jest.fn() }, recordCall: jest.fn() };
    logger = { log: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn() };
    session = new Session('session-1', 'streamable-http');
    sent = [];
    session.outgoing.subscribe(({ message }) => sent.push(message));
  });

  describe('initialize', () => {
    const init = (protocolVersion: unknown) =>
      request(1, 'initialize', { protocolVersion, capabilities: {}, clientInfo: { name: 'spec-client', version: '1.2.3' } });

    it('answers with the client version when it is one the gateway speaks, and records it on the session', async () => {
      const result = resultOf(await (await dispatcher()).handleMessage(init('2025-06-18'), session));
      expect(result['protocolVersion']).toBe('2025-06-18');
      expect(session.protocolVersion).toBe('2025-06-18');
      expect(session.clientInfo).toEqual({ name: 'spec-client', version: '1.2.3' });
    });

    it('answers with the latest version for one it does not speak', async () => {
      const result = resultOf(await (await dispatcher()).handleMessage(init('1999-01-01'), session));
      expect(result['protocolVersion']).toBe(LATEST_PROTOCOL_VERSION);
    });

    it('refuses an initialize without a protocolVersion string (-32602)', async () => {
      const error = errorOf(await (await dispatcher()).handleMessage(init(20250618), session));
      expect(error.code).toBe(-32602);
      expect(error.message).toContain('protocolVersion');
      expect(session.protocolVersion).toBeUndefined();
    });

    it('announces tools (listChanged while the plugins folder is watched) and logging, with server info and instructions', async () => {
      const watched = resultOf(await (await dispatcher({ watchPlugins: true })).handleMessage(init('2025-11-25'), session));
      expect(watched).toEqual({
        protocolVersion: '2025-11-25',
        capabilities: { tools: { listChanged: true }, logging: {} },
        serverInfo: SERVER_INFO,
        instructions: SERVER_INSTRUCTIONS,
      });
      const unwatched = resultOf(await (await dispatcher({ watchPlugins: false })).handleMessage(init('2025-11-25'), session));
      expect(unwatched['capabilities']).toEqual({ tools: { listChanged: false }, logging: {} });
    });
  });

  it('maps catalog entries to tools, with annotations and outputSchema only when the entry has them', async () => {
    const outputSchema = { type: 'object' as const, properties: { deployed: { type: 'boolean' } } };
    entries = [plugin('run'), plugin('status', { annotations: { readOnlyHint: true }, outputSchema })];
    const result = resultOf(await (await dispatcher()).handleMessage(request(2, 'tools/list'), session));
    expect(result).toEqual({
      tools: [
        { name: 'deploy__run', description: 'The run command', inputSchema: entries[0].inputSchema },
        {
          name: 'deploy__status',
          description: 'The status command',
          inputSchema: entries[1].inputSchema,
          annotations: { readOnlyHint: true },
          outputSchema,
        },
      ],
    });
  });

  describe('tools/call', () => {
    it('refuses an unknown tool with -32602 naming it, without running anything', async () => {
      const error = errorOf(await (await dispatcher()).handleMessage(call(3, 'nope__missing'), session));
      expect(error).toEqual({ code: -32602, message: expect.stringContaining("Unknown tool: 'nope__missing'") });
      expect(executor.execute).not.toHaveBeenCalled();
    });

    it('refuses a missing name and arguments that are not an object (-32602)', async () => {
      const mcp = await dispatcher();
      expect(errorOf(await mcp.handleMessage(request(4, 'tools/call', { arguments: {} }), session)).code).toBe(-32602);
      expect(errorOf(await mcp.handleMessage(call(5, 'deploy__run', ['prod']), session))).toEqual({
        code: -32602,
        message: expect.stringContaining('"arguments" must be an object'),
      });
      expect(executor.execute).not.toHaveBeenCalled();
    });

    it('answers arguments over the size limits with an invalid_arguments tool error, without running the plugin', async () => {
      const mcp = await dispatcher({ maxArgBytes: 8 });
      const result = resultOf(await mcp.handleMessage(call(6, 'deploy__run', { env: 'a much longer value' }), session));
      expect(result).toEqual(
        expect.objectContaining({ isError: true, structuredContent: { error: expect.objectContaining({ code: 'invalid_arguments' }) } }),
      );
      expect(executor.execute).not.toHaveBeenCalled();
      expect(metrics.recordCall).toHaveBeenCalledWith('deploy.run', 'invalid_arguments', expect.any(Number), 'default');
    });

    it('checks a provider tool against its schema before invoking it', async () => {
      const invoke = jest.fn(async () => ({ now: 'noon' }));
      entries = [provider(invoke)];
      const mcp = await dispatcher();
      const invalid = resultOf(await mcp.handleMessage(call(7, 'clock__now', { zone: 3 }), session));
      expect(invalid['isError']).toBe(true);
      expect(invalid['structuredContent']).toEqual({ error: expect.objectContaining({ code: 'invalid_arguments' }) });
      expect(invoke).not.toHaveBeenCalled();
      const valid = resultOf(await mcp.handleMessage(call(8, 'clock__now', { zone: 'UTC' }), session));
      expect(valid['structuredContent']).toEqual({ now: 'noon' });
      expect(invoke).toHaveBeenCalledWith({ zone: 'UTC' });
    });

    it('runs a plugin tool through the executor and passes its result through unchanged', async () => {
      const failed = toolError(ToolErrorCode.PluginError, 'deploy failed: exit 3');
      executor.execute.mockResolvedValueOnce({ result: ok }).mockResolvedValueOnce({ result: failed });
      const mcp = await dispatcher();
      expect(resultOf(await mcp.handleMessage(call(9, 'deploy__run', { env: 'prod' }), session))).toEqual(ok);
      expect(resultOf(await mcp.handleMessage(call(10, 'deploy.run', {}), session))).toEqual(failed);

      const [target, args, options] = executor.execute.mock.calls[0];
      expect(target).toEqual(
        expect.objectContaining({ label: 'deploy.run', entryPath: '/plugins/deploy/cli.py', cwd: '/plugins/deploy', command: 'run' }),
      );
      expect(args).toEqual({ env: 'prod' });
      expect(options?.env).toEqual({ MCP_REQUEST_ID: expect.any(String), MCP_CLIENT_CAPABILITIES: '{}' });
      expect(metrics.recordCall.mock.calls.map(([tool, outcome]) => [tool, outcome])).toEqual([
        ['deploy.run', 'ok'],
        ['deploy.run', 'plugin_error'],
      ]);
      const lines = [...logger.log.mock.calls, ...logger.warn.mock.calls].map(([entry]) => (entry as { message: string }).message);
      expect(lines).toEqual(
        expect.arrayContaining([
          'Tool invoked: deploy.run (session-1)',
          expect.stringMatching(/^Tool completed: deploy\.run \(session-1\) in \d+ ms$/),
          expect.stringMatching(/^Tool failed: deploy\.run \(session-1\) in \d+ ms \(plugin_error\)$/),
        ]),
      );
    });

    it('hands a valid traceparent to the plugin and uses its trace id as the request id', async () => {
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      await (await dispatcher()).handleMessage(call(11, 'deploy__run', {}, { traceparent }), session);
      expect(executor.execute.mock.calls[0][2]?.env).toEqual({
        MCP_REQUEST_ID: '0af7651916cd43dd8448eb211c80319c',
        TRACEPARENT: traceparent,
        // The session never initialized here: a client that declared nothing.
        MCP_CLIENT_CAPABILITIES: '{}',
      });
    });

    it('turns progress lines into notifications/progress for a request with a progressToken, never decreasing', async () => {
      executor.execute.mockImplementationOnce(async (_target, _args, options) => {
        for (const line of ['{"progress": 1, "total": 3}', 'plain stderr', '{"progress": 2, "message": "half"}', '{"progress": 1}']) {
          options?.onStderrLine?.(line);
        }
        return { result: ok };
      });
      await (await dispatcher()).handleMessage(call(12, 'deploy__run', {}, { progressToken: 'p-1' }), session);
      expect(sent).toEqual([
        { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'p-1', progress: 1, total: 3 } },
        { jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 'p-1', progress: 2, message: 'half' } },
      ]);
    });
  });

  describe('running calls', () => {
    /** Calls that end only when their signal aborts, answering as the executor does then. */
    function blockUntilCancelled(): void {
      executor.execute.mockImplementation(
        (_target, _args, options) =>
          new Promise((resolve) => {
            options?.signal?.addEventListener('abort', () => resolve({ result: toolError(ToolErrorCode.Cancelled, 'cancelled') }), {
              once: true,
            });
          }),
      );
    }

    it('counts calls in flight over every session, and cancelAll ends them all', async () => {
      blockUntilCancelled();
      const mcp = await dispatcher();
      const other = new Session('session-2', 'sse');
      const calls = [
        mcp.handleMessage(call(20, 'deploy__run', {}), session),
        mcp.handleMessage(call(21, 'deploy__run', {}), session),
        mcp.handleMessage(call(20, 'deploy__run', {}), other),
      ];
      await new Promise((resolve) => setImmediate(resolve));
      expect(mcp.inFlightCalls).toBe(3);
      expect(metrics.inFlight.inc).toHaveBeenCalledTimes(3);

      mcp.cancelAll('the server is shutting down');
      const results = await Promise.all(calls);
      expect(results.map((r) => (resultOf(r)['structuredContent'] as { error: { code: string } }).error.code)).toEqual([
        'cancelled',
        'cancelled',
        'cancelled',
      ]);
      expect(mcp.inFlightCalls).toBe(0);
      expect(metrics.inFlight.dec).toHaveBeenCalledTimes(3);
      expect(session.closed).toBe(false);
    });

    it('refuses a second call under a request id still running in the session (-32600), and accepts it once that ended', async () => {
      blockUntilCancelled();
      const mcp = await dispatcher();
      const first = mcp.handleMessage(call(30, 'deploy__run', {}), session);
      await new Promise((resolve) => setImmediate(resolve));
      const duplicate = errorOf(await mcp.handleMessage(call(30, 'deploy__run', {}), session));
      expect(duplicate).toEqual({ code: -32600, message: expect.stringContaining('already running') });
      expect(executor.execute).toHaveBeenCalledTimes(1);

      await mcp.handleMessage({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 30 } }, session);
      await first;
      executor.execute.mockResolvedValueOnce({ result: ok });
      expect(resultOf(await mcp.handleMessage(call(30, 'deploy__run', {}), session))).toEqual(ok);
    });
  });

  describe('logging/setLevel', () => {
    it('sets the session threshold for a known level', async () => {
      expect(resultOf(await (await dispatcher()).handleMessage(request(40, 'logging/setLevel', { level: 'debug' }), session))).toEqual({});
      expect(session.logLevel).toBe('debug');
    });

    it.each([
      ['an unknown level', { level: 'loud' }],
      ['no level', {}],
    ])('refuses %s with -32602 listing the levels', async (_name, params) => {
      const error = errorOf(await (await dispatcher()).handleMessage(request(41, 'logging/setLevel', params), session));
      expect(error).toEqual({
        code: -32602,
        message: expect.stringContaining('debug, info, notice, warning, error, critical, alert, emergency'),
      });
      expect(session.logLevel).toBe('info');
    });
  });

  it('answers an unknown method with -32601', async () => {
    expect(errorOf(await (await dispatcher()).handleMessage(request(50, 'sampling/createMessage'), session)).code).toBe(-32601);
  });
});
