// Pins hot reload: adding, breaking and removing plugin folders updates the catalog and sends
// notifications/tools/list_changed to connected clients; a broken plugin never takes the other
// plugins' tools with it.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';

const FIXTURES = resolve(__dirname, 'fixtures/plugins');

describe('hot reload of the plugins folder', () => {
  let dir: string;
  let gateway: RunningGateway;
  let client: Client;
  let notifications = 0;

  const names = async (): Promise<string[]> => (await client.listTools()).tools.map((t) => t.name).sort();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sanctum-reload-'));
    cpSync(join(FIXTURES, 'echo_node'), join(dir, 'echo_node'), { recursive: true });
    gateway = await startGateway({ MCP_PLUGINS_DIR: dir, MCP_WATCH_DEBOUNCE: '0.1' });
    client = new Client({ name: 'reload-e2e', version: '1.0.0' });
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      notifications += 1;
    });
    await client.connect(new SSEClientTransport(new URL(`${gateway.baseUrl}/sse`)));
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('advertises tools.listChanged', () => {
    expect(client.getServerCapabilities()?.tools?.listChanged).toBe(true);
  });

  it('adds the tools of a new plugin folder and notifies', async () => {
    expect(await names()).toEqual(['echo_node__echo', 'gateway__status']);
    cpSync(join(FIXTURES, 'echo_sh'), join(dir, 'echo_sh'), { recursive: true });
    await eventually(() => notifications >= 1, 10_000);
    expect(await names()).toEqual(['echo_node__echo', 'echo_sh__say', 'gateway__status']);
  });

  it('keeps the other plugins working when one is broken by an edit', async () => {
    const before = notifications;
    writeFileSync(join(dir, 'echo_sh', 'cli.sh'), '#!/usr/bin/env bash\nexit 3\n');
    await eventually(() => notifications > before, 10_000);
    expect(await names()).toEqual(['echo_node__echo', 'gateway__status']);
    const result = await client.callTool({ name: 'echo_node__echo', arguments: { text: 'still here' } });
    expect(result.isError).toBeFalsy();
    expect(gateway.logs.join('\n')).toMatch(/Skipped plugin: echo_sh: `cli\.sh --help` exited with code 3/);
  });

  it('removes the tools of a deleted plugin folder and notifies', async () => {
    const before = notifications;
    rmSync(join(dir, 'echo_node'), { recursive: true });
    await eventually(() => notifications > before, 10_000);
    expect(await names()).toEqual(['gateway__status']);
  });
});
