// Protocol revision 2026-07-28 (stateless) and the 2025 revisions on the same running gateway: the v2 SDK client
// (@modelcontextprotocol/client, version negotiation auto and pinned) and the v1 client side by
// side: discover, list, call, progress on the call's own stream, cancel by closing the stream (the
// plugin's process is killed), and subscriptions/listen receiving a hot-reload catalog change.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client as ClientV2, StreamableHTTPClientTransport as TransportV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { SessionRegistry } from '@sanctum/sessions';
import { StatelessProtocol } from '../src/app/mcp/stateless-protocol.service';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { writeSlowPlugin } from './slow-plugin';

const NOTIFY = resolve(__dirname, 'fixtures/notify');
const FIXTURES = resolve(__dirname, 'fixtures/plugins');

type Fetch = typeof fetch;

/** A fetch that records every request's method header and every response status (what went over the wire). */
function recordingFetch(wire: Array<{ method: string | null; status: number; body: string }>): Fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const headers = new Headers(init?.headers);
    wire.push({ method: headers.get('mcp-method'), status: response.status, body: typeof init?.body === 'string' ? init.body : '' });
    return response;
  };
}

describe('MCP 2026-07-28 beside the 2025 revisions on /mcp', () => {
  let gateway: RunningGateway;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stateless-sdk-'));
    cpSync(join(NOTIFY, 'reporter'), join(dir, 'reporter'), { recursive: true });
    writeSlowPlugin(dir);
    gateway = await startGateway({ MCP_PLUGINS_DIR: dir, MCP_WATCH_DEBOUNCE: '0.1' });
  });
  afterAll(async () => {
    await gateway?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function v2(mode: 'auto' | 'pinned', options: { fetch?: Fetch; onToolsChanged?: (names: string[]) => void } = {}): Promise<ClientV2> {
    const client = new ClientV2(
      { name: 'stateless-e2e', version: '2.0.0' },
      {
        versionNegotiation: { mode: mode === 'auto' ? 'auto' : { pin: '2026-07-28' } },
        listChanged: options.onToolsChanged
          ? {
              tools: {
                onChanged: (_err: unknown, tools: Array<{ name: string }> | null) =>
                  options.onToolsChanged?.((tools ?? []).map((t) => t.name)),
              },
            }
          : undefined,
      },
    );
    const transport = new TransportV2(new URL(`${gateway.baseUrl}/mcp`), options.fetch ? { fetch: options.fetch } : {});
    return client.connect(transport).then(() => client);
  }

  it.each(['auto', 'pinned'] as const)('the v2 client (%s) speaks 2026-07-28: discover, list, call', async (mode) => {
    const wire: Array<{ method: string | null; status: number; body: string }> = [];
    const client = await v2(mode, { fetch: recordingFetch(wire) });
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      expect(client.getServerVersion()).toEqual({ name: 'sanctum-mcp', version: expect.any(String) });
      expect(client.getServerCapabilities()?.tools).toEqual({ listChanged: true });
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['gateway__status', 'reporter__work', 'slow__wait']);
      const result = await client.callTool({ name: 'reporter__work', arguments: { steps: 2 } });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ steps: 2 });
      // Stateless: no initialize went over the wire, and no request was refused on the way.
      expect(wire.map((w) => w.method)).not.toContain('initialize');
      expect(wire.every((w) => w.status < 400)).toBe(true);
      expect(gateway.app.get(SessionRegistry).count()).toBe(0);
    } finally {
      await client.close();
    }
  });

  it('the v1 client still gets a 2025 session from the same endpoint', async () => {
    const client = new ClientV1({ name: 'session-e2e-v1', version: '1.0.0' });
    await client.connect(new TransportV1(new URL(`${gateway.baseUrl}/mcp`)));
    try {
      expect(client.getServerVersion()?.name).toBe('sanctum-mcp');
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['gateway__status', 'reporter__work', 'slow__wait']);
      const result = await client.callTool({ name: 'reporter__work', arguments: { steps: 1 } });
      expect(result.structuredContent).toEqual({ steps: 1 });
      expect(gateway.app.get(SessionRegistry).count()).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('progress notifications arrive on the call’s own stream, in order, before the result', async () => {
    const client = await v2('auto');
    try {
      const progress: number[] = [];
      const result = await client.callTool(
        { name: 'reporter__work', arguments: { steps: 4 } },
        { onprogress: (p: { progress: number }) => progress.push(p.progress) },
      );
      expect(result.structuredContent).toEqual({ steps: 4 });
      // The fixture reports 1..4, then a decreasing 1 that is dropped.
      await eventually(() => progress.length >= 4, 2_000).catch(() => undefined);
      expect(progress).toEqual([1, 2, 3, 4]);
    } finally {
      await client.close();
    }
  });

  it('closing the call’s stream cancels the call and kills the plugin process', async () => {
    const client = await v2('pinned');
    const marker = join(dir, `marker-${Date.now()}`);
    try {
      const aborter = new AbortController();
      const call = client.callTool(
        { name: 'slow__wait', arguments: { ms: 1500, marker } },
        { signal: aborter.signal, onprogress: () => undefined },
      );
      await eventually(() => gateway.logs.some((l) => l.includes('Tool invoked: slow.wait')), 5_000);
      aborter.abort('the user gave up');
      await expect(call).rejects.toThrow();
      await eventually(() => gateway.logs.some((l) => /Tool failed: slow\.wait .*\(cancelled\)/.test(l)), 5_000);
      // The plugin was killed before it could write its marker.
      await new Promise((r) => setTimeout(r, 1_800));
      expect(existsSync(marker)).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('a catalog change reaches a subscriptions/listen stream (v2) and a 2025 session (v1)', async () => {
    const changedV2: string[][] = [];
    const stateless = await v2('auto', { onToolsChanged: (names) => changedV2.push(names) });
    const sessionBased = new ClientV1({ name: 'session-e2e-v1', version: '1.0.0' });
    let sessionBasedChanged = 0;
    sessionBased.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      sessionBasedChanged++;
    });
    await sessionBased.connect(new TransportV1(new URL(`${gateway.baseUrl}/mcp`)));
    try {
      await eventually(() => gateway.app.get(StatelessProtocol).listenerCount === 1, 5_000);
      cpSync(join(FIXTURES, 'echo_node'), join(dir, 'echo_node'), { recursive: true });
      await eventually(() => changedV2.some((names) => names.some((n) => n.startsWith('echo_node__'))), 10_000);
      await eventually(() => sessionBasedChanged > 0, 10_000);
    } finally {
      await stateless.close();
      await sessionBased.close();
      rmSync(join(dir, 'echo_node'), { recursive: true, force: true });
    }
    await eventually(() => gateway.app.get(StatelessProtocol).listenerCount === 0, 5_000);
  });
});
