// Pins DI-based extension: tools contributed by Nest providers (@McpTool) share the catalog,
// naming, validation and logging with plugin tools.
import { resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { InventoryModule } from './examples/inventory-tools.module';
import { startGateway } from './gateway';
import type { RunningGateway } from './gateway';

describe('tools from Nest providers', () => {
  let gateway: RunningGateway;
  let client: Client;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: resolve(__dirname, '../../../mcp/plugins') }, [InventoryModule]);
    client = new Client({ name: 'di-e2e', version: '1.0.0' });
    await client.connect(new SSEClientTransport(new URL(`${gateway.baseUrl}/sse`)));
  });
  afterAll(async () => {
    await client?.close();
    await gateway?.close();
  });

  it('lists provider tools beside plugin tools under the same naming template', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['gateway__status', 'inventory__count', 'devops__deploy']));
  });

  it('runs the bundled gateway status tool', async () => {
    const result = await client.callTool({ name: 'gateway__status', arguments: {} });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      server: { name: 'sanctum-mcp' },
      sessions: { open: 1, byTransport: { sse: 1 } },
      plugins: expect.arrayContaining([expect.objectContaining({ name: 'botfather', via: 'describe' })]),
    });
  });

  it('runs a team tool, accepts the plugin.command spelling, and logs it like plugin tools', async () => {
    const result = await client.callTool({ name: 'inventory.count', arguments: { item: 'apple' } });
    expect(result.structuredContent).toEqual({ item: 'apple', count: 3 });
    expect(gateway.logs.some((l) => /INFO: Tool completed: inventory\.count \([0-9a-f-]{36}\) in \d+ ms$/.test(l))).toBe(true);
  });

  it('validates arguments of provider tools (invalid_arguments) and reports thrown errors as internal_error', async () => {
    const invalid = await client.callTool({ name: 'inventory__count', arguments: { item: 5 } });
    expect(invalid.structuredContent).toMatchObject({ error: { code: 'invalid_arguments', message: expect.stringContaining("'item' must be string") } });
    const failed = await client.callTool({ name: 'inventory__count', arguments: { item: 'pear' } });
    expect(failed.structuredContent).toMatchObject({ error: { code: 'internal_error', message: expect.stringContaining('no such item: pear') } });
  });
});
