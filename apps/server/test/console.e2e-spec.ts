// Pins the operator console's HTTP surface (docs/monitoring.md, "The operator console"): off
// unless MCP_CONSOLE=1; its API needs an admin key whenever keys exist (the loopback bypass and
// other keys are refused); state-changing requests need the console token and the page's own
// Origin (CSRF); a "try it" call runs under the admin's principal through the one dispatcher,
// streaming its progress, log lines and result; recent calls keep no argument values below debug.
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { consolePlugins } from './console-plugins';
import { eventually, startGateway } from './gateway';
import type { RunningGateway } from './gateway';
import { raw } from './raw-http';

const ADMIN = 'admin-key-0123456789';
const AGENTS = 'agents-key-0123456789';
const bearer = (key: string): Record<string, string> => ({ Authorization: `Bearer ${key}` });

describe('the operator console, off by default', () => {
  let gateway: RunningGateway;
  beforeAll(async () => {
    gateway = await startGateway({ MCP_PLUGINS_DIR: resolve(__dirname, 'fixtures/plugins') });
  });
  afterAll(() => gateway?.close());

  it('answers 404 for the page and the API when MCP_CONSOLE is not set', async () => {
    expect((await raw(gateway.port, 'GET', '/console', {})).status).toBe(404);
    expect((await raw(gateway.port, 'GET', '/console/api/overview', {})).status).toBe(404);
  });
});

describe('the operator console with API keys', () => {
  let gateway: RunningGateway;
  let plugins: string;
  let stateDir: string;
  let token: string;

  beforeAll(async () => {
    plugins = consolePlugins();
    stateDir = mkdtempSync(join(tmpdir(), 'console-state-'));
    process.env['DEVOPS_STATE_FILE'] = join(stateDir, 'state.json');
    gateway = await startGateway({
      MCP_PLUGINS_DIR: plugins,
      MCP_CONSOLE: '1',
      MCP_API_KEYS: `admin:${ADMIN},agents:${AGENTS}`,
      MCP_AUTH_LOOPBACK_BYPASS: '1',
    });
    const overview = JSON.parse((await raw(gateway.port, 'GET', '/console/api/overview', bearer(ADMIN))).body) as { token: string };
    token = overview.token;
  });
  afterAll(async () => {
    await gateway?.close();
    delete process.env['DEVOPS_STATE_FILE'];
    rmSync(plugins, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('serves the page without a key (it holds no data), with a CSP that allows only its own files', async () => {
    const page = await raw(gateway.port, 'GET', '/console', {});
    expect(page.status).toBe(200);
    expect(page.body).toContain('console/assets/console.js');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect((await raw(gateway.port, 'GET', '/console/assets/console.js', {})).status).toBe(200);
    expect((await raw(gateway.port, 'GET', '/console/assets/..%2Fpackage.json', {})).status).toBe(404);
  });

  it('refuses the API without a key, through the loopback bypass, and with a key that is not an admin key', async () => {
    // The loopback bypass admits a keyless loopback client to MCP, never to the console.
    const bypass = await raw(gateway.port, 'GET', '/console/api/overview', {});
    expect(bypass.status).toBe(401);
    expect(bypass.body).toMatch(/needs an admin key/);
    const agents = await raw(gateway.port, 'GET', '/console/api/overview', bearer(AGENTS));
    expect(agents.status).toBe(403);
    expect((JSON.parse(agents.body) as { message: string }).message).toMatch(/"agents" is not an admin key/);
    const wrong = await raw(gateway.port, 'GET', '/console/api/sessions', bearer('not-a-key-0123456789'));
    expect(wrong.status).toBe(401);
  });

  it('shows the loaded plugin with its language and version, and the skipped one with its reason', async () => {
    const reply = await raw(gateway.port, 'GET', '/console/api/plugins', bearer(ADMIN));
    const body = JSON.parse(reply.body) as {
      loaded: Array<{ name: string; language: string; version: string }>;
      skipped: Array<{ name: string; reason: string }>;
    };
    expect(body.loaded).toEqual([expect.objectContaining({ name: 'devops', language: 'Python', version: '1.0.0' })]);
    expect(body.skipped).toEqual([expect.objectContaining({ name: 'broken_describe', reason: expect.stringMatching(/./) })]);
  });

  it('lists the catalog resource templates and prompts, and the profiles of each tool (every caller without MCP_PROFILES)', async () => {
    const content = JSON.parse((await raw(gateway.port, 'GET', '/console/api/content', bearer(ADMIN))).body) as {
      templates: Array<{ owner: string }>;
      prompts: Array<{ name: string }>;
    };
    expect(content.templates.some((t) => t.owner === 'devops')).toBe(true);
    expect(content.prompts.map((p) => p.name)).toEqual(expect.arrayContaining(['devops__rollback-plan']));
    const tools = JSON.parse((await raw(gateway.port, 'GET', '/console/api/tools', bearer(ADMIN))).body) as Array<Record<string, unknown>>;
    expect(tools.find((t) => t['name'] === 'devops__deploy')).not.toHaveProperty('profiles');
  });

  it('refuses a state-changing request without the console token, or from another page origin', async () => {
    const noToken = await raw(gateway.port, 'POST', '/console/api/plugins/reload', bearer(ADMIN));
    expect(noToken.status).toBe(403);
    expect(noToken.body).toMatch(/X-Console-Token/);
    const crossSite = await raw(gateway.port, 'POST', '/console/api/plugins/reload', {
      ...bearer(ADMIN),
      'X-Console-Token': token,
      'Sec-Fetch-Site': 'cross-site',
    });
    expect(crossSite.status).toBe(403);
    const otherPort = await raw(gateway.port, 'POST', '/console/api/plugins/reload', {
      ...bearer(ADMIN),
      'X-Console-Token': token,
      Origin: 'http://127.0.0.1:1',
    });
    expect(otherPort.status).toBe(403);
    const ok = await raw(gateway.port, 'POST', '/console/api/plugins/reload', {
      ...bearer(ADMIN),
      'X-Console-Token': token,
      Origin: `http://127.0.0.1:${gateway.port}`,
    });
    expect(ok.status).toBe(200);
    expect(gateway.logs.join('\n')).toContain('Console: admin reloads the plugins');
  });

  it('runs a try-it call under the admin principal, streaming progress and the log line before the result', async () => {
    const reply = await raw(
      gateway.port,
      'POST',
      '/console/api/tools/call',
      { ...bearer(ADMIN), 'X-Console-Token': token, 'Content-Type': 'application/json' },
      JSON.stringify({ name: 'devops__deploy', arguments: { 'app-name': 'shop-api', version: '2.4.0', environment: 'staging' } }),
    );
    expect(reply.status).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = reply.body
      .split('\n\n')
      .filter((e) => e.includes('data: '))
      .map((e) => ({
        event: /event: (\S+)/.exec(e)?.[1],
        data: JSON.parse(/data: (.*)/.exec(e)?.[1] ?? 'null') as Record<string, unknown>,
      }));
    const progress = events
      .filter((e) => e.data['method'] === 'notifications/progress')
      .map((e) => (e.data['params'] as { progress: number }).progress);
    expect(progress).toEqual([1, 2, 3]);
    expect(events.some((e) => e.data['method'] === 'notifications/message')).toBe(true);
    const last = events[events.length - 1];
    expect(last.event).toBe('response');
    expect(last.data['result']).toMatchObject({ structuredContent: { app: 'shop-api', version: '2.4.0', status: 'deployed' } });
    expect(gateway.logs.join('\n')).toMatch(/Console: admin tries devops__deploy \(console-[0-9a-f-]+\)/);
  });

  it('lists a failed call with its error code and excerpt, and no argument values below debug', async () => {
    await raw(
      gateway.port,
      'POST',
      '/console/api/tools/call',
      { ...bearer(ADMIN), 'X-Console-Token': token, 'Content-Type': 'application/json' },
      JSON.stringify({ name: 'devops__rollback', arguments: { 'app-name': 'never-deployed-app', version: '9.9.9' } }),
    );
    const calls = JSON.parse((await raw(gateway.port, 'GET', '/console/api/calls?outcome=plugin_error', bearer(ADMIN))).body) as Array<
      Record<string, unknown>
    >;
    expect(calls).toEqual([
      expect.objectContaining({
        tool: 'devops.rollback',
        outcome: 'plugin_error',
        principal: 'admin',
        error: expect.stringMatching(/never-deployed-app/),
      }),
    ]);
    expect(calls[0]).not.toHaveProperty('arguments');
  });

  it('lists an MCP session with its owner, agent id and client, and ends it from the console', async () => {
    const init = await raw(
      gateway.port,
      'POST',
      '/mcp',
      { ...bearer(AGENTS), 'X-Agent-Id': 'agent-7f3a', 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' },
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'letta', version: '0.9.1' } },
      }),
    );
    const id = String(init.headers['mcp-session-id']);
    const list = JSON.parse((await raw(gateway.port, 'GET', '/console/api/sessions', bearer(ADMIN))).body) as {
      sessions: Array<Record<string, unknown>>;
    };
    expect(list.sessions).toContainEqual(
      expect.objectContaining({
        id,
        transport: 'streamable-http',
        protocolVersion: '2025-06-18',
        owner: 'agents',
        agentId: 'agent-7f3a',
        client: { name: 'letta', version: '0.9.1' },
      }),
    );
    const end = await raw(gateway.port, 'DELETE', `/console/api/sessions/${id}`, { ...bearer(ADMIN), 'X-Console-Token': token });
    expect(end.status).toBe(204);
    await eventually(() => gateway.logs.some((l) => l.includes(`Session ended: ${id} (ended from the console by admin)`)));
    expect((await raw(gateway.port, 'DELETE', `/console/api/sessions/${id}`, { ...bearer(ADMIN), 'X-Console-Token': token })).status).toBe(
      404,
    );
  });

  it('streams live updates: the session list and new log lines', async () => {
    const body = await new Promise<string>((resolvePromise, reject) => {
      let text = '';
      const req = request({ host: '127.0.0.1', port: gateway.port, path: '/console/api/events', headers: bearer(ADMIN) }, (res) => {
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
          if (text.includes('event: sessions') && text.includes('event: logs') && text.includes('event: charts')) {
            req.destroy();
            resolvePromise(text);
          }
        });
      });
      req.on('error', reject);
      req.end();
    });
    expect(body).toMatch(/event: sessions\ndata: \{"total":\d+/);
  });
});
