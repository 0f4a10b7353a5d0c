import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_TABLE } from '../app/config/config.table';
import { SERVER_INFO } from '../app/mcp/server-info';
import { UsageError, configFlags, parseCommandLine, renderHelp } from './command-line';

describe('the sanctum-mcp command line', () => {
  it('derives a flag for every variable of the table but secrets, and names the issue asks for', () => {
    const flags = new Map(configFlags().map((f) => [f.flag, f.variable.name]));
    expect(flags.get('plugins')).toBe('MCP_PLUGINS_DIR');
    expect(flags.get('host')).toBe('MCP_HOST');
    expect(flags.get('port')).toBe('MCP_PORT');
    expect(flags.get('api-key-file')).toBe('MCP_API_KEYS_FILE');
    expect(flags.get('log-level')).toBe('LOG_LEVEL');
    // A key on the command line would be visible to every user in ps.
    expect([...flags.values()]).not.toContain('MCP_API_KEY');
    expect([...flags.values()]).not.toContain('MCP_API_KEYS');
    const withFlag = CONFIG_TABLE.filter((v) => !('flag' in v) || (v as { flag?: unknown }).flag !== false);
    expect(flags.size).toBe(withFlag.length);
  });

  it('fails a table where two variables would get the same flag', () => {
    const names = configFlags().map((f) => f.flag);
    expect(new Set(names).size).toBe(names.length);
  });

  it('turns flags into the variables they set, in both spellings, so they win over the environment', () => {
    expect(parseCommandLine(['--plugins', './mine', '--port=9001', '--stdio', '--watch'])).toEqual({
      kind: 'serve',
      env: { MCP_PLUGINS_DIR: './mine', MCP_PORT: '9001', MCP_TRANSPORT: 'stdio', MCP_WATCH: '1' },
    });
    expect(parseCommandLine(['--watch', '0'])).toEqual({ kind: 'serve', env: { MCP_WATCH: '0' } });
  });

  it('reads the check and init commands with their options', () => {
    expect(parseCommandLine(['check', '--plugins', 'p'])).toEqual({ kind: 'check', env: { MCP_PLUGINS_DIR: 'p' } });
    expect(parseCommandLine(['init', 'weather'])).toEqual({ kind: 'init', name: 'weather', env: {} });
    expect(parseCommandLine(['serve', '--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' });
  });

  it.each([
    [['--bogus'], /Unknown option --bogus\. /],
    [['--stdoi'], /Unknown option --stdoi \(did you mean --stdio\?\)/],
    [['--prot', '1'], /Unknown option --prot \(did you mean --port\?\)/],
    [['--port'], /--port needs a value: a TCP port number/],
    [['--port', '1', '--port', '2'], /given twice/],
    [['serve'], /Unknown command "serve"/],
    [['init'], /init needs one plugin name/],
    [['check', 'extra'], /check takes no argument/],
  ])('refuses %j with a message saying what to type instead', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(UsageError);
    expect(() => parseCommandLine(argv)).toThrow(message);
  });

  it('prints --help from the table: every flag with its variable and default, no markdown', () => {
    const help = renderHelp();
    for (const f of configFlags()) expect(help).toContain(`--${f.flag}`);
    expect(help).toMatch(/--port <integer> +port to bind \(0 = any free port\) \[MCP_PORT, default 8000\]/);
    expect(help).toContain('--stdio');
    expect(help).not.toContain('`');
  });

  it('gives the package the version the server announces (a release bumps both)', () => {
    const manifest = JSON.parse(readFileSync(join(__dirname, '../../package/package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
    expect(manifest.version).toBe(SERVER_INFO.version);
    expect(manifest.bin['sanctum-mcp']).toBe('dist/apps/server/main.js');
  });
});
