// stdio in protocol revision 2026-07-28, raw lines in and out (serveStdio in-process): the first
// message fixes the revision of the connection; requests are checked against their own _meta
// envelope; results carry resultType and serverInfo; notifications/cancelled cancels a running call
// (its plugin is killed) and ends a subscriptions/listen; a server/discover probe followed by
// initialize falls back to 2025.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { StatelessProtocol } from '../src/app/mcp/stateless-protocol.service';
import { serveStdio } from '../src/app/transport/stdio';
import type { StdioServer } from '../src/app/transport/stdio';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { writeSlowPlugin } from './slow-plugin';

const META = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
};

type Message = Record<string, unknown> & { id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string } };

describe('stdio in protocol revision 2026-07-28', () => {
  let gateway: RunningGateway;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'sanctum-stdio-stateless-'));
    writeSlowPlugin(join(workDir, 'plugins'));
    gateway = await startGateway({ MCP_PLUGINS_DIR: join(workDir, 'plugins') });
  });
  afterAll(async () => {
    await gateway?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  function open(): {
    server: StdioServer;
    send: (m: unknown) => void;
    messages: () => Message[];
    byId: (id: unknown) => Message | undefined;
  } {
    const input = new PassThrough();
    const output = new PassThrough();
    const out: string[] = [];
    output.setEncoding('utf8').on('data', (chunk: string) => out.push(chunk));
    const server = serveStdio(gateway.app, input, output);
    const messages = (): Message[] =>
      out
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Message);
    return {
      server,
      send: (m) => input.write(`${JSON.stringify(m)}\n`),
      messages,
      byId: (id) => messages().find((m) => m.id === id && ('result' in m || 'error' in m)),
    };
  }

  const request = (id: number | string, method: string, params: Record<string, unknown> = {}, meta: Record<string, unknown> = META) => ({
    jsonrpc: '2.0',
    id,
    method,
    params: { ...params, _meta: meta },
  });

  it('answers discover, tools/list and tools/call with stamped results, and refuses 2025 methods', async () => {
    const { server, send, byId } = open();
    send(request(1, 'server/discover'));
    send(request(2, 'tools/list'));
    send(request(3, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } }));
    send(request(4, 'ping'));
    send(request(5, 'tools/list', {}, { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' }));
    send(request(6, 'tools/list', {}, { ...META, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' }));
    await eventually(() => [1, 2, 3, 4, 5, 6].every((id) => byId(id) !== undefined));
    const serverInfo = { 'io.modelcontextprotocol/serverInfo': { name: 'sanctum-mcp', version: expect.any(String) } };
    expect(byId(1)?.result).toEqual(
      expect.objectContaining({
        supportedVersions: expect.arrayContaining(['2026-07-28', '2025-11-25']),
        capabilities: expect.objectContaining({ tools: { listChanged: true } }),
        resultType: 'complete',
        ttlMs: 0,
        cacheScope: 'private',
        _meta: serverInfo,
      }),
    );
    expect(byId(2)?.result).toEqual(
      expect.objectContaining({ resultType: 'complete', ttlMs: 0, cacheScope: 'private', _meta: serverInfo }),
    );
    expect(byId(3)?.error?.code).toBe(-32601);
    expect(byId(4)?.error?.code).toBe(-32601);
    expect(byId(5)?.error).toEqual(expect.objectContaining({ code: -32602, message: expect.stringContaining('clientCapabilities') }));
    expect(byId(6)?.error).toEqual(
      expect.objectContaining({ code: -32022, data: { supported: expect.arrayContaining(['2026-07-28']), requested: '2099-01-01' } }),
    );
    await server.stop();
  });

  it('notifications/cancelled cancels a running call, kills its plugin process and sends no response for it', async () => {
    const { server, send, byId } = open();
    const marker = join(workDir, `marker-${Date.now()}`);
    send(request('slow', 'tools/call', { name: 'slow__wait', arguments: { ms: 1500, marker } }));
    await eventually(() => gateway.logs.some((l) => l.includes('Tool invoked: slow.wait')), 5_000);
    send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'slow', reason: 'test' } });
    await eventually(() => gateway.logs.some((l) => /Tool failed: slow\.wait .*\(cancelled\)/.test(l)), 5_000);
    send(request('after', 'tools/list'));
    await eventually(() => byId('after') !== undefined, 5_000);
    await new Promise((r) => setTimeout(r, 1_800));
    expect(existsSync(marker)).toBe(false);
    // MCP: the receiver of notifications/cancelled sends no response for the cancelled request.
    expect(byId('slow')).toBeUndefined();
    await server.stop();
  });

  it('subscriptions/listen is acknowledged with its subscription id and ended by notifications/cancelled', async () => {
    const { server, send, messages } = open();
    send(request('sub', 'subscriptions/listen', { notifications: { toolsListChanged: true, promptsListChanged: true } }));
    await eventually(() => messages().length > 0);
    expect(messages()[0]).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/subscriptions/acknowledged',
      params: { notifications: { toolsListChanged: true, promptsListChanged: true }, _meta: { 'io.modelcontextprotocol/subscriptionId': 'sub' } },
    });
    const stateless = gateway.app.get(StatelessProtocol);
    expect(stateless.listenerCount).toBe(1);
    stateless.announceToolsChanged();
    await eventually(() => messages().length === 2);
    expect(messages()[1]).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/tools/list_changed',
      params: { _meta: { 'io.modelcontextprotocol/subscriptionId': 'sub' } },
    });
    send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'sub' } });
    await eventually(() => stateless.listenerCount === 0);
    await server.stop();
  });

  it('a first line that is a batch holding a 2026-07-28 message is refused as that revision refuses batches', async () => {
    const { server, send, messages } = open();
    send([request(1, 'tools/list'), { jsonrpc: '2.0', id: 2, method: 'ping' }]);
    await eventually(() => messages().length > 0);
    expect(messages()).toEqual([{ jsonrpc: '2.0', id: null, error: { code: -32600, message: expect.stringContaining('no batches') } }]);
    await server.stop();
  });

  it('a server/discover probe followed by initialize falls back to the 2025 revisions; a 2025 first message fixes 2025', async () => {
    const probe = open();
    probe.send(request('probe', 'server/discover'));
    await eventually(() => probe.byId('probe') !== undefined);
    probe.send({
      jsonrpc: '2.0',
      id: 'init',
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    });
    await eventually(() => probe.byId('init') !== undefined);
    expect(probe.byId('init')?.result).toEqual(expect.objectContaining({ protocolVersion: '2025-11-25' }));
    await probe.server.stop();

    const sessionBased = open();
    sessionBased.send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    sessionBased.send(request(2, 'server/discover'));
    await eventually(() => sessionBased.byId(2) !== undefined);
    expect(sessionBased.byId(1)?.result).toEqual({});
    // The connection speaks 2025: server/discover is not one of its methods.
    expect(sessionBased.byId(2)?.error?.code).toBe(-32601);
    await sessionBased.server.stop();
  });
});
