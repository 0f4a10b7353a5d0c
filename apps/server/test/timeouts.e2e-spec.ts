// Pins per-plugin timeouts: MCP_PLUGIN_TIMEOUTS overrides the global MCP_PLUGIN_TIMEOUT for the
// plugins it names, and the others keep the global one.
import { resolve } from 'node:path';
import { startGateway } from './gateway';
import type { RunningGateway } from './gateway';

const FAULTS = resolve(__dirname, 'fixtures/faults');

describe('per-plugin timeouts (MCP_PLUGIN_TIMEOUTS)', () => {
  let gateway: RunningGateway;

  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: FAULTS, MCP_PLUGIN_TIMEOUT: '20', MCP_PLUGIN_TIMEOUTS: 'slow:0.3', MCP_KILL_GRACE: '0.2' });
  });
  afterAll(() => gateway.close());

  const call = async (name: string): Promise<Record<string, unknown>> => {
    const res = await fetch(`${gateway.baseUrl}/message`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {} } }),
    });
    return ((await res.json()) as { result: Record<string, unknown> }).result;
  };

  it('times out the named plugin after its own limit', async () => {
    const result = await call('slow__run');
    expect(result['structuredContent']).toMatchObject({ error: { code: 'timeout', message: expect.stringContaining('timed out after 0.3 s') } });
  });

  it('leaves the other plugins on the global limit', async () => {
    const result = await call('early_exit__run');
    expect(result['structuredContent']).toMatchObject({ error: { code: 'plugin_error' } });
  });
});
