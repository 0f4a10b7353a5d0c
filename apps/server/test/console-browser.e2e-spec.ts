/// <reference lib="dom" />
// The page functions below run in the browser (page.evaluate and friends): they use the DOM types.
// Pins the operator console in a real browser (issue #21, "It must show"): headless Chromium from
// Debian's `chromium` package, driven by playwright-core with executablePath, against a real
// gateway with real plugins (the bundled devops plugin and one that discovery skips). Each view is
// saved as a screenshot in the folder printed at the start (CONSOLE_SCREENSHOTS, else
// dist/console-screenshots), which CI keeps as artifacts.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { consolePlugins } from './console-plugins';
import { startGateway } from './gateway';
import type { RunningGateway } from './gateway';

const ADMIN = 'admin-key-0123456789';
const AGENTS = 'agents-key-0123456789';
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SHOTS = resolve(process.env['CONSOLE_SCREENSHOTS'] ?? join(__dirname, '../../../dist/console-screenshots'));

describe('the operator console in headless Chromium', () => {
  let gateway: RunningGateway;
  let browser: Browser;
  let page: Page;
  let plugins: string;
  let stateDir: string;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const tab = async (view: string) => {
    await page.click(`#tab-${view}`);
    await page.waitForSelector(`#view-${view}`);
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`No Chromium at ${CHROMIUM}: install Debian's chromium package (.ci/run does), or set CHROMIUM_PATH.`);
    mkdirSync(SHOTS, { recursive: true });
    console.log(`Console screenshots: ${SHOTS}`);
    plugins = consolePlugins();
    stateDir = mkdtempSync(join(tmpdir(), 'console-browser-'));
    process.env['DEVOPS_STATE_FILE'] = join(stateDir, 'state.json');
    gateway = await startGateway({ MCP_PLUGINS_DIR: plugins, MCP_CONSOLE: '1', MCP_API_KEYS: `admin:${ADMIN},agents:${AGENTS}` });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await gateway?.close();
    delete process.env['DEVOPS_STATE_FILE'];
    rmSync(plugins, { recursive: true, force: true });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('refuses the console without the admin key, and with a key that is not an admin key', async () => {
    await page.goto(`${gateway.baseUrl}/console`);
    await page.waitForSelector('#login');
    expect(await page.textContent('#login-message')).toMatch(/Unauthorized: send an API key/);
    await page.fill('#login-key', AGENTS);
    await page.click('#login button[type=submit]');
    await page.waitForFunction(() => /not an admin key/.test(document.querySelector('#login-message')?.textContent ?? ''));
    await shot('1-refused');
    await page.fill('#login-key', ADMIN);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#view-plugins');
    expect(await page.textContent('#principal')).toBe('admin');
  });

  it('lists the loaded plugin and the skipped one with the reason the log gives', async () => {
    await page.waitForSelector('tr[data-plugin=devops]');
    expect(await page.textContent('tr[data-plugin=devops]')).toMatch(/devops.*Python.*1\.0\.0.*--describe.*deploy, rollback, status/);
    const reason = (await page.textContent('tr[data-skipped=broken_describe] .reason')) ?? '';
    expect(reason.length).toBeGreaterThan(0);
    expect(gateway.logs.join('\n')).toContain(reason.slice(0, 40));
    await shot('2-plugins');
  });

  it('runs a devops tool from its try-it form, with live progress, its log line and the result', async () => {
    await tab('tools');
    await page.click('tr[data-tool=devops__deploy] button');
    await page.waitForSelector('#tool-detail');
    await page.fill('#arg-app-name', 'shop-api');
    await page.fill('#arg-version', '2.4.0');
    await page.selectOption('#arg-environment', 'staging');
    await page.click('#try-run');
    await page.waitForSelector('#try-result');
    expect(await page.getAttribute('#try-progress', 'data-progress')).toBe('3');
    expect(await page.getAttribute('#try-progress', 'data-total')).toBe('3');
    expect(await page.textContent('#try-logs')).toContain('deployed shop-api 2.4.0 to staging');
    expect(await page.getAttribute('#try-result', 'data-is-error')).toBe('false');
    expect(await page.textContent('#try-result')).toMatch(/structuredContent[\s\S]*"status": "deployed"/);
    await shot('3-tools-try-it');
  });

  it('shows the resource templates and prompts of the catalog', async () => {
    await tab('content');
    await page.waitForSelector('tr[data-prompt="devops__rollback-plan"]');
    expect(await page.textContent('#template-list')).toContain('devops');
    await shot('4-resources-prompts');
  });

  it('shows an MCP session appearing live, and ends it', async () => {
    await tab('sessions');
    const client = new Client({ name: 'letta-code', version: '0.12.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${AGENTS}`, 'X-Agent-Id': 'agent-7f3a' } },
    });
    await client.connect(transport);
    const id = transport.sessionId ?? '';
    const row = `tr[data-session="${id}"]`;
    await page.waitForSelector(row, { timeout: 10_000 });
    expect(await page.textContent(row)).toMatch(/streamable-http.*letta-code 0\.12\.0.*agents.*agent-7f3a/);
    await shot('5-sessions');
    await page.click(`${row} button.end-session`);
    await page.waitForSelector(row, { state: 'detached', timeout: 10_000 });
    expect(gateway.logs.some((l) => l.includes(`Session ended: ${id} (ended from the console by admin)`))).toBe(true);
    await client.close();
  });

  it('lists a failed call with its error code and excerpt in the recent calls, filterable', async () => {
    const client = new Client({ name: 'e2e-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${gateway.baseUrl}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${AGENTS}` } },
      }),
    );
    const failed = await client.callTool({ name: 'devops__rollback', arguments: { 'app-name': 'never-deployed', version: '9.9.9' } });
    expect(failed.isError).toBe(true);
    await client.close();
    await tab('calls');
    const row = 'tr[data-outcome=plugin_error]';
    await page.waitForSelector(row, { timeout: 10_000 });
    expect(await page.textContent(row)).toMatch(/devops\.rollback.*agents.*plugin_error.*never-deployed/);
    await page.selectOption('#filter-outcome', 'plugin_error');
    expect(await page.$$eval('#call-list tbody tr', (rows) => rows.map((r) => r.getAttribute('data-outcome')))).toEqual(['plugin_error']);
    await shot('6-recent-calls');
    await page.selectOption('#filter-outcome', '');
  });

  it('renders the charts with data from the gateway metrics', async () => {
    await tab('charts');
    await page.waitForSelector('#chart-calls canvas');
    for (const id of ['chart-calls', 'chart-latency', 'chart-sessions']) {
      expect(Number(await page.getAttribute(`#${id}`, 'data-points'))).toBeGreaterThanOrEqual(1);
    }
    // The calls chart has a series per outcome seen this hour: ok (the try-it) and plugin_error.
    await page.waitForFunction(() => {
      const legend = document.querySelector('#chart-calls .u-legend')?.textContent ?? '';
      return legend.includes('ok') && legend.includes('plugin_error');
    });
    // The plugin_error series (red, #c62828) was drawn: pixels of that colour, which the axes and grid never use.
    const red = await page.$eval('#chart-calls canvas', (canvas) => {
      const c = canvas as HTMLCanvasElement;
      const data = c.getContext('2d')?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] > 150 && data[i + 1] < 90 && data[i + 2] < 90 && data[i + 3] > 200) n++;
      return n;
    });
    expect(red).toBeGreaterThan(5);
    await shot('7-charts');
  });

  it('tails the log live', async () => {
    await tab('logs');
    await page.waitForFunction(
      () => /Tool failed: devops\.rollback/.test(document.querySelector('#log-tail')?.textContent ?? ''),
      undefined,
      { timeout: 10_000 },
    );
    await shot('8-logs');
  });
});
