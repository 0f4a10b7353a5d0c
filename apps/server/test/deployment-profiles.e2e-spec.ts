// Pins the tool profiles docs/deployment.md gives for Letta and desktop clients: deploy/profiles.json
// (shown verbatim there) over the bundled plugins. Letta over the HTTP+SSE transport and over
// Streamable HTTP with an API key header, the governed Letta profile's sanctum__tools, a desktop
// client through a profile endpoint (what mcp-remote connects to) and over stdio (bindings.stdio).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { serveStdio } from '../src/app/transport/stdio';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';

const ROOT = resolve(__dirname, '../../..');
const PROFILES = join(ROOT, 'deploy/profiles.json');
const KEYS = { letta: 'letta-key-0123456789', 'letta-governed': 'governed-key-0123456789', desktop: 'desktop-key-0123456789' };

describe('docs/deployment.md: the profiles for Letta and desktop clients', () => {
  let gateway: RunningGateway;
  let stateDir: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    stateDir = mkdtempSync(join(tmpdir(), 'sanctum-deploy-profiles-'));
    process.env['DEVOPS_STATE_FILE'] = join(stateDir, 'state.json');
    gateway = await startGateway({
      MCP_PLUGINS_DIR: join(ROOT, 'mcp/plugins'),
      MCP_API_KEYS: Object.entries(KEYS)
        .map(([name, key]) => `${name}:${key}`)
        .join(','),
      MCP_PROFILES: PROFILES,
    });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await gateway?.close();
    delete process.env['DEVOPS_STATE_FILE'];
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function connect(transport: StreamableHTTPClientTransport | SSEClientTransport): Promise<Client> {
    const client = new Client({ name: 'deployment-profiles', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  /** The SDK's HTTP+SSE client with headers on the stream and on every POST (Letta's custom headers). */
  function sse(path: string, headers: Record<string, string>): SSEClientTransport {
    return new SSEClientTransport(new URL(`${gateway.baseUrl}${path}`), {
      requestInit: { headers },
      eventSourceInit: {
        fetch: (url, init) => {
          const merged = new Headers(init?.headers);
          for (const [name, value] of Object.entries(headers)) merged.set(name, value);
          return fetch(url, { ...init, headers: merged });
        },
      },
    });
  }

  const names = async (client: Client): Promise<string[]> => (await client.listTools()).tools.map((t) => t.name);

  it('is the file docs/deployment.md shows, and every selector matches a bundled tool', () => {
    const doc = readFileSync(join(ROOT, 'docs/deployment.md'), 'utf8');
    expect(doc).toContain(readFileSync(PROFILES, 'utf8'));
    expect(gateway.logs.join('\n')).not.toMatch(/matches no tool|names no tool/);
    expect(gateway.logs.join('\n')).toMatch(/Tool profiles: 5 from .*profiles\.json \(default, letta, letta-governed, desktop, readonly\)/);
  });

  it('Letta over the HTTP+SSE transport (GET /sse, Authorization header, X-Agent-Id) sees its profile and calls a tool', async () => {
    const client = await connect(
      sse('/sse', { Authorization: `Bearer ${KEYS.letta}`, 'X-Agent-Id': 'agent-00000000-0000-4000-8000-000000000001' }),
    );
    expect(await names(client)).toEqual([
      'botfather__click-button',
      'botfather__draft-reply',
      'botfather__send-message',
      'devops__deploy',
      'devops__rollback',
      'devops__status',
      'gateway__status',
    ]);
    expect((await client.listPrompts()).prompts.map((p) => p.name)).toEqual(['botfather__announcement']);
    const deployed = await client.callTool({ name: 'devops__deploy', arguments: { 'app-name': 'shop', version: '1.0.0' } });
    expect(deployed.isError).toBeFalsy();
    expect(gateway.logs.join('\n')).toMatch(/Session \S+: agent agent-00000000-0000-4000-8000-000000000001, profile letta/);
  });

  it('Letta over Streamable HTTP (POST /mcp, X-API-Key header) sees the same list', async () => {
    const client = await connect(
      new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`), { requestInit: { headers: { 'X-API-Key': KEYS.letta } } }),
    );
    expect(await names(client)).toContain('botfather__send-message');
    expect(await names(client)).toHaveLength(7);
  });

  it('the governed Letta profile starts with sanctum__tools and its attached tool, and attaches on request', async () => {
    const client = await connect(sse('/sse', { Authorization: `Bearer ${KEYS['letta-governed']}` }));
    expect(await names(client)).toEqual(['sanctum__tools', 'botfather__send-message']);
    const help = await client.callTool({ name: 'sanctum__tools', arguments: { action: 'help', intent: 'telegram' } });
    expect(help.structuredContent).toMatchObject({ matches: [{ intent: 'send a telegram message', tool: 'botfather__send-message' }] });
    const refused = await client.callTool({ name: 'devops__status', arguments: { 'app-name': 'shop' } });
    expect(refused.structuredContent).toMatchObject({ error: 'tool_not_attached', tool: 'devops__status' });
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed += 1;
    });
    await client.callTool({ name: 'sanctum__tools', arguments: { action: 'attach', tool: 'devops__status' } });
    await eventually(() => changed === 1);
    expect(await names(client)).toEqual(['sanctum__tools', 'botfather__send-message', 'devops__status']);
  });

  it('a desktop client through /profiles/desktop/mcp (mcp-remote) and over stdio sees the desktop profile', async () => {
    const client = await connect(
      new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/profiles/desktop/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${KEYS.desktop}` } },
      }),
    );
    const desktop = ['deploy_status', 'devops__deploy', 'gateway__status'];
    expect(await names(client)).toEqual(desktop);
    expect((await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual(['devops://apps/{app}/history']);
    // The readonly profile narrows it further on its own endpoint.
    const narrowed = await connect(
      new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/profiles/readonly/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${KEYS.desktop}` } },
      }),
    );
    expect(await names(narrowed)).toEqual(['deploy_status', 'gateway__status']);

    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    const server = serveStdio(gateway.app, input, output);
    input.write(
      `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'desktop', version: '1' } } })}\n`,
    );
    input.write(`${JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' })}\n`);
    await eventually(() => text.includes('"id":2'));
    const listed = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { id?: number; result?: { tools?: Array<{ name: string }> } })
      .find((message) => message.id === 2);
    expect(listed?.result?.tools?.map((t) => t.name)).toEqual(desktop);
    input.end();
    await server.finished;
  });
});
