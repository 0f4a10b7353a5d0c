// Pins start-up behaviour of the real process (the bundle `npm start` runs): fail closed on an
// external bind without keys (exit 2 and how to fix it), and invalid configuration named.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const MAIN = resolve(__dirname, '../../../dist/apps/server/main.js');

function start(env: Record<string, string>): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN], {
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', MCP_PORT: '0', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('start-up checks of the real process', () => {
  it.each(['0.0.0.0', '::', '192.168.1.10'])('refuses to bind %s without an API key: exit 2 and how to fix it', (host) => {
    const { status, stderr } = start({ MCP_HOST: host });
    expect(status).toBe(2);
    expect(stderr).toContain(`Refusing to start: MCP_HOST=${host} is reachable from other machines and no API key is configured`);
    expect(stderr).toContain('MCP_API_KEY');
    expect(stderr).toContain('MCP_AUTH_DISABLED=1');
  });

  it.each<[Record<string, string>, RegExp]>([
    [{ MCP_PORT: 'eighty' }, /MCP_PORT="eighty" is not accepted; expected a TCP port number/],
    [{ MCP_PLUGIN_TIMEOUT: '-5' }, /MCP_PLUGIN_TIMEOUT="-5" is not accepted; expected a number of seconds/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL="loud" is not accepted; expected one of error, warn, info, debug/],
    [{ MCP_API_KEYS: 'ops:short' }, /MCP_API_KEYS="ops:\*\*\*" is not accepted/],
    [{ MCP_PLUGIN_TIMEOUTS: 'devops=30' }, /MCP_PLUGIN_TIMEOUTS="devops=30" is not accepted; expected a comma-separated list of plugin:seconds pairs/],
    [{ MCP_TOOL_NAME_TEMPLATE: '{plugin}' }, /MCP_TOOL_NAME_TEMPLATE="\{plugin\}" is not accepted; expected a template containing \{command\}/],
  ])('names the variable and what it accepts for %p (exit 2)', (env, message) => {
    const { status, stderr } = start(env);
    expect(status).toBe(2);
    expect(stderr).toMatch(message);
  });
});
