// Pins the plugins folder's life (issue 16, item 7): a missing folder makes /health `error` (503)
// as well as /health/ready; creating it later loads its plugins live, with
// notifications/tools/list_changed, and removing and recreating it unloads and reloads them, all
// without a restart. And the default MCP_PLUGINS_DIR is the installation's `mcp/plugins`, so a
// desktop client that starts `main.js --stdio` from another working directory finds the bundled
// plugins, and the log names the absolute folder.
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';

jest.setTimeout(60_000);

const ROOT = resolve(__dirname, '../../..');
const FIXTURES = resolve(__dirname, 'fixtures/plugins');

interface Health {
  status: string;
  sessions: number;
  error: Record<string, { status: string; message?: string; path?: string }>;
}

describe('a plugins folder created after the start', () => {
  let work: string;
  let pluginsDir: string;
  let gateway: RunningGateway;
  let client: Client;
  let notifications = 0;

  const health = async (): Promise<{ status: number; body: Health }> => {
    const res = await fetch(`${gateway.baseUrl}/health`);
    return { status: res.status, body: (await res.json()) as Health };
  };
  const names = async (): Promise<string[]> => (await client.listTools()).tools.map((t) => t.name).sort();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sanctum-folder-'));
    pluginsDir = join(work, 'not', 'yet', 'plugins');
    gateway = await startGateway({ MCP_PLUGINS_DIR: pluginsDir, MCP_WATCH_DEBOUNCE: '0.1' });
    client = new Client({ name: 'folder-e2e', version: '1.0.0' });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      notifications += 1;
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`)));
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('guards the "status ok without a plugins folder" bug: /health is 503 with the folder under error, sessions still counted', async () => {
    const { status, body } = await health();
    expect(status).toBe(503);
    expect(body).toMatchObject({
      status: 'error',
      sessions: 1,
      error: { pluginsDir: { status: 'down', path: pluginsDir, message: expect.stringContaining('create it (it is loaded when it appears)') } },
    });
    expect(gateway.logs.join('\n')).toContain(`WARN: Plugins folder ${pluginsDir} does not exist: watching ${work} for it to appear`);
    expect(await names()).toEqual(['gateway__status']);
  });

  it('guards the restart-needed bug: loads the plugins of the folder once it is created, and notifies', async () => {
    mkdirSync(join(work, 'not', 'yet'), { recursive: true });
    mkdirSync(pluginsDir);
    cpSync(join(FIXTURES, 'echo_node'), join(pluginsDir, 'echo_node'), { recursive: true });
    await eventually(async () => notifications >= 1 && (await names()).includes('echo_node__echo'), 10_000);
    expect(await names()).toEqual(['echo_node__echo', 'gateway__status']);
    const result = await client.callTool({ name: 'echo_node__echo', arguments: { text: 'hello' } });
    expect(result.isError).toBeFalsy();
    expect((await health()).status).toBe(200);
    expect(gateway.logs.join('\n')).toContain(`INFO: Plugins folder ${pluginsDir} appeared: loading its plugins`);
  });

  it('unloads them when the folder is removed, and loads them again when it comes back', async () => {
    const before = notifications;
    rmSync(pluginsDir, { recursive: true });
    await eventually(async () => notifications > before && !(await names()).includes('echo_node__echo'), 10_000);
    expect((await health()).status).toBe(503);
    expect(gateway.logs.join('\n')).toContain(`WARN: Plugins folder ${pluginsDir} is gone: unloading its plugins, and watching for it to appear again`);

    const removed = notifications;
    mkdirSync(pluginsDir);
    cpSync(join(FIXTURES, 'echo_node'), join(pluginsDir, 'echo_node'), { recursive: true });
    await eventually(async () => notifications > removed && (await names()).includes('echo_node__echo'), 10_000);
    expect((await health()).status).toBe(200);
  });
});

describe('the default plugins folder', () => {
  it('guards the desktop-client bug: `main.js --stdio` started from another working directory serves the bundled plugins, and logs the absolute folder', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'sanctum-desktop-'));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(ROOT, 'dist/apps/server/main.js'), '--stdio'],
      cwd: elsewhere,
      env: { PATH: process.env['PATH'] ?? '', HOME: elsewhere, MCP_DISCOVERY_CACHE: 'off' },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const client = new Client({ name: 'desktop', version: '1.0.0' });
    try {
      await client.connect(transport);
      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools).toEqual(expect.arrayContaining(['botfather__send-message', 'devops__deploy']));
      expect(stderr).toMatch(new RegExp(`Plugin discovery finished: 2 loaded, 0 skipped, from ${join(ROOT, 'mcp', 'plugins').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\n`));
    } finally {
      await client.close();
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
