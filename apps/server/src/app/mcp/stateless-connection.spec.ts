import { Test } from '@nestjs/testing';
import { ToolCatalogService } from '@sanctum/discovery';
import type { ToolEntry } from '@sanctum/discovery';
import { JSONRPC_VERSION, success } from '@sanctum/protocol';
import type { HeaderLookup, JsonRpcMessage, JsonRpcRequest, JsonRpcResponse } from '@sanctum/protocol';
import { SessionLimits } from '@sanctum/sessions';
import type { Session } from '@sanctum/sessions';
import { RecordingLogger } from '@sanctum/sessions/testing';
import { loadConfig } from '../config/config';
import type { AppConfig } from '../config/config';
import { configProviders } from '../config/config.slices';
import { APP_LOGGER } from '../logging/logger';
import { McpContent } from './mcp-content.service';
import { McpDispatcher } from './mcp-dispatcher.service';
import type { StatelessClient, StatelessReply } from './stateless-connection';
import { StatelessProtocol } from './stateless-protocol.service';

/** Everything the handling did with a reply, in order. */
type Event =
  | { kind: 'open' }
  | { kind: 'notify'; message: JsonRpcMessage }
  | { kind: 'answer'; response: JsonRpcResponse; status: number }
  | { kind: 'accept' }
  | { kind: 'end' };

/** A reply that records what it is told; `goAway()` plays the client closing its side. */
class RecordingReply implements StatelessReply {
  readonly events: Event[] = [];
  closed = false;
  private readonly closeListeners: Array<() => void> = [];

  openStream(): void {
    this.events.push({ kind: 'open' });
  }
  notify(message: JsonRpcMessage): void {
    this.events.push({ kind: 'notify', message });
  }
  answer(response: JsonRpcResponse, status: number): void {
    this.events.push({ kind: 'answer', response, status });
  }
  accept(): void {
    this.events.push({ kind: 'accept' });
  }
  end(): void {
    this.events.push({ kind: 'end' });
  }
  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }
  goAway(): void {
    this.closed = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
  answers(): Array<{ response: JsonRpcResponse; status: number }> {
    return this.events.flatMap((e) => (e.kind === 'answer' ? [{ response: e.response, status: e.status }] : []));
  }
}

const META = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} };
const request = (
  id: number | string,
  method: string,
  params: Record<string, unknown> = {},
  meta: Record<string, unknown> = META,
): JsonRpcRequest => ({
  jsonrpc: JSONRPC_VERSION,
  id,
  method,
  params: { ...params, _meta: meta },
});
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const tool: ToolEntry = {
  name: 'deploy__run',
  qualifiedName: 'deploy.run',
  description: 'Deploy',
  inputSchema: { type: 'object', properties: { env: { type: 'string', 'x-mcp-header': 'Env' } } },
  source: { kind: 'provider', invoke: async () => ({}) },
};

describe('StatelessConnection (protocol revision 2026-07-28 for every transport)', () => {
  type HandleMessage = McpDispatcher['handleMessage'];
  let handleMessage: jest.Mock<ReturnType<HandleMessage>, Parameters<HandleMessage>>;
  let logger: RecordingLogger;

  async function protocol(overrides: Partial<AppConfig> = {}): Promise<StatelessProtocol> {
    const config: AppConfig = { ...loadConfig({}), watchPlugins: true, maxSessions: 2, maxSessionsPerKey: 1, ...overrides };
    const catalog: Pick<ToolCatalogService, 'get' | 'list'> = {
      get: (name) => (name === tool.name ? tool : undefined),
      list: () => [tool],
    };
    const moduleRef = await Test.createTestingModule({
      providers: [
        StatelessProtocol,
        { provide: McpDispatcher, useValue: { handleMessage } satisfies Pick<McpDispatcher, 'handleMessage'> },
        { provide: McpContent, useValue: { offers: () => ({ resources: false, prompts: false, completions: false }) } satisfies Pick<McpContent, 'offers'> },
        { provide: ToolCatalogService, useValue: catalog },
        {
          provide: SessionLimits,
          useValue: new SessionLimits({ maxSessions: config.maxSessions, maxSessionsPerKey: config.maxSessionsPerKey }),
        },
        ...configProviders(config),
        { provide: APP_LOGGER, useValue: logger },
      ],
    }).compile();
    return moduleRef.get(StatelessProtocol);
  }

  const http: StatelessClient = { principal: 'ops', capped: true };
  const stdio: StatelessClient = { principal: undefined, capped: false };
  const headersOf =
    (map: Record<string, string>): HeaderLookup =>
    (name) =>
      map[name];

  beforeEach(() => {
    handleMessage = jest.fn<ReturnType<HandleMessage>, Parameters<HandleMessage>>(async (message) =>
      success((message as JsonRpcRequest).id, { tools: [] }),
    );
    logger = new RecordingLogger();
  });

  it('answers server/discover itself, stamped and cacheable, without the dispatcher', async () => {
    const reply = new RecordingReply();
    await (await protocol({ listTtlMs: 5_000 })).connect(stdio).handle(request(1, 'server/discover'), reply);
    const [{ response, status }] = reply.answers();
    expect(status).toBe(200);
    expect(response).toEqual(
      success(1, {
        supportedVersions: expect.arrayContaining(['2026-07-28', '2025-11-25']),
        capabilities: { tools: { listChanged: true }, logging: {} },
        instructions: expect.any(String),
        resultType: 'complete',
        ttlMs: 5_000,
        cacheScope: 'private',
        _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'sanctum-mcp', version: expect.any(String) } },
      }),
    );
    expect(handleMessage).not.toHaveBeenCalled();
  });

  it('runs tools/list in a throwaway session of the caller and stamps the result', async () => {
    const reply = new RecordingReply();
    await (await protocol()).connect(http).handle(request(2, 'tools/list'), reply);
    const session = handleMessage.mock.calls[0][1];
    expect(session.transport).toBe('stateless');
    expect(session.owner).toBe('ops');
    expect(session.closed).toBe(true);
    expect(reply.events.map((e) => e.kind)).toEqual(['answer', 'end']);
    expect(reply.answers()[0].response).toEqual(success(2, expect.objectContaining({ tools: [], resultType: 'complete' })));
  });

  it.each([
    ['an invalid envelope', request(3, 'tools/list', {}, { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' }), 400, -32602],
    [
      'an unsupported version',
      request(3, 'tools/list', {}, { ...META, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' }),
      400,
      -32022,
    ],
    ['a method the revision lacks', request(3, 'ping'), 404, -32601],
  ])('refuses %s before anything runs', async (_name, message, status, code) => {
    const reply = new RecordingReply();
    await (await protocol()).connect(stdio).handle(message, reply);
    expect(reply.answers()).toEqual([{ status, response: expect.objectContaining({ id: 3, error: expect.objectContaining({ code }) }) }]);
    expect(handleMessage).not.toHaveBeenCalled();
  });

  it('checks headers only where the transport has them, including Mcp-Param-* of the named tool', async () => {
    const call = request(4, 'tools/call', { name: 'deploy__run', arguments: { env: 'prod' } });
    const mcp = await protocol();
    const withoutHeaders = new RecordingReply();
    await mcp.connect(stdio).handle(call, withoutHeaders);
    expect(withoutHeaders.answers()[0].status).toBe(200);

    const headers = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'deploy__run' };
    const missingParam = new RecordingReply();
    await mcp.connect(http).handle(call, missingParam, headersOf(headers));
    expect(missingParam.answers()).toEqual([
      { status: 400, response: expect.objectContaining({ error: expect.objectContaining({ code: -32020 }) }) },
    ]);
    const matching = new RecordingReply();
    await mcp.connect(http).handle(call, matching, headersOf({ ...headers, 'mcp-param-env': 'prod' }));
    expect(matching.answers()[0].status).toBe(200);
  });

  it('streams the progress of a call that asked for it, before its answer, and drops log lines without a log level', async () => {
    handleMessage.mockImplementation(async (message, session) => {
      session.send({ jsonrpc: JSONRPC_VERSION, method: 'notifications/progress', params: { progressToken: 't', progress: 1 } });
      session.send({ jsonrpc: JSONRPC_VERSION, method: 'notifications/message', params: { level: 'info', data: 'x' } });
      return success((message as JsonRpcRequest).id, { content: [] });
    });
    const reply = new RecordingReply();
    await (
      await protocol()
    )
      .connect(stdio)
      .handle(request(5, 'tools/call', { name: 'deploy__run' }, { ...META, progressToken: 't' }), reply);
    expect(reply.events.map((e) => (e.kind === 'notify' && 'method' in e.message ? e.message.method : e.kind))).toEqual([
      'open',
      'notifications/progress',
      'answer',
      'end',
    ]);
  });

  it('a client that goes away cancels its call (the session closes) and gets no answer', async () => {
    let session: Session | undefined;
    let finish: () => void = () => undefined;
    handleMessage.mockImplementation((message, s) => {
      session = s;
      return new Promise((resolve) => (finish = () => resolve(success((message as JsonRpcRequest).id, {}))));
    });
    const reply = new RecordingReply();
    const handled = (await protocol()).connect(http).handle(request(6, 'tools/call', { name: 'deploy__run' }), reply);
    await tick();
    reply.goAway();
    expect(session?.closed).toBe(true);
    finish();
    await handled;
    expect(reply.answers()).toEqual([]);
  });

  it('notifications/cancelled cancels a running call by request id, and no answer follows; a second request under that id is refused while it runs', async () => {
    let signal: AbortSignal | undefined;
    handleMessage.mockImplementation(
      (message, session) =>
        new Promise((resolve) => {
          signal = session.track((message as JsonRpcRequest).id);
          signal.addEventListener('abort', () => resolve(success((message as JsonRpcRequest).id, { isError: true })), { once: true });
        }),
    );
    const connection = (await protocol()).connect(stdio);
    const reply = new RecordingReply();
    const running = connection.handle(request('slow', 'tools/call', { name: 'deploy__run' }), reply);
    await tick();
    const duplicate = new RecordingReply();
    await connection.handle(request('slow', 'tools/list'), duplicate);
    expect(duplicate.answers()).toEqual([
      { status: 400, response: expect.objectContaining({ error: expect.objectContaining({ code: -32600 }) }) },
    ]);

    const cancel = new RecordingReply();
    await connection.handle({ jsonrpc: JSONRPC_VERSION, method: 'notifications/cancelled', params: { requestId: 'slow' } }, cancel);
    await running;
    expect(signal?.aborted).toBe(true);
    expect(reply.answers()).toEqual([]);
    expect(cancel.events).toEqual([{ kind: 'accept' }]);
  });

  it('over HTTP a notification must agree with its headers; without headers it is only acted on', async () => {
    const notification: JsonRpcMessage = {
      jsonrpc: JSONRPC_VERSION,
      method: 'notifications/cancelled',
      params: { requestId: 1, _meta: META },
    };
    const mcp = await protocol();
    const refused = new RecordingReply();
    await mcp.connect(http).handle(notification, refused, headersOf({ 'mcp-method': 'notifications/progress' }));
    expect(refused.answers()).toEqual([
      { status: 400, response: expect.objectContaining({ id: null, error: expect.objectContaining({ code: -32020 }) }) },
    ]);
    const withoutEnvelope: JsonRpcMessage = { jsonrpc: JSONRPC_VERSION, method: 'notifications/cancelled', params: { requestId: 1 } };
    const accepted = new RecordingReply();
    await mcp.connect(stdio).handle(withoutEnvelope, accepted);
    expect(accepted.events).toEqual([{ kind: 'accept' }]);
  });

  describe('subscriptions/listen', () => {
    const listen = (id: number, notifications: unknown = { toolsListChanged: true }): JsonRpcRequest =>
      request(id, 'subscriptions/listen', { notifications });

    it('acknowledges what it can deliver, tags each change with the subscription id, and ends when the client goes away', async () => {
      const mcp = await protocol();
      const reply = new RecordingReply();
      await mcp.connect(http).handle(listen(7, { toolsListChanged: true, promptsListChanged: true, unknownKind: true }), reply);
      mcp.announceToolsChanged();
      const tag = { 'io.modelcontextprotocol/subscriptionId': 7 };
      expect(reply.events).toEqual([
        { kind: 'open' },
        {
          kind: 'notify',
          message: {
            jsonrpc: '2.0',
            method: 'notifications/subscriptions/acknowledged',
            params: { notifications: { toolsListChanged: true, promptsListChanged: true }, _meta: tag },
          },
        },
        { kind: 'notify', message: { jsonrpc: '2.0', method: 'notifications/tools/list_changed', params: { _meta: tag } } },
      ]);
      expect(mcp.listenerCount).toBe(1);
      reply.goAway();
      expect(mcp.listenerCount).toBe(0);
      expect(reply.events.at(-1)).toEqual({ kind: 'end' });
    });

    it('answers an invalid filter at once (200, -32602), and ends a filter with nothing deliverable with its final result', async () => {
      const mcp = await protocol({ watchPlugins: false });
      const invalid = new RecordingReply();
      await mcp.connect(http).handle(listen(8, 'everything'), invalid);
      expect(invalid.events).toEqual([
        { kind: 'answer', status: 200, response: expect.objectContaining({ error: expect.objectContaining({ code: -32602 }) }) },
      ]);
      const nothing = new RecordingReply();
      await mcp.connect(http).handle(listen(9), nothing);
      expect(nothing.events.map((e) => e.kind)).toEqual(['open', 'notify', 'answer', 'end']);
      expect(mcp.listenerCount).toBe(0);
    });

    it('caps listen streams per key over HTTP (503), not on stdio', async () => {
      const mcp = await protocol();
      await mcp.connect(http).handle(listen(10), new RecordingReply());
      const refused = new RecordingReply();
      await mcp.connect(http).handle(listen(11), refused);
      expect(refused.answers()).toEqual([
        { status: 503, response: expect.objectContaining({ error: expect.objectContaining({ code: -32000 }) }) },
      ]);
      const stdioReply = new RecordingReply();
      const connection = mcp.connect(stdio);
      await connection.handle(listen(12), stdioReply);
      await connection.handle(listen(13), new RecordingReply());
      expect(mcp.listenerCount).toBe(3);
      connection.stop('stdin closed');
      expect(mcp.listenerCount).toBe(1);
      mcp.stopListeners();
      expect(mcp.listenerCount).toBe(0);
    });
  });
});
