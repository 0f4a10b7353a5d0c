import { buildChildEnv } from './child-env';

describe('buildChildEnv', () => {
  const source = {
    PATH: '/bin',
    HOME: '/home/x',
    LANG: 'C.UTF-8',
    LC_ALL: 'C',
    TZ: 'UTC',
    AWS_SECRET_ACCESS_KEY: 'aws',
    DATABASE_URL: 'postgres://',
    TELEGRAM_BOT_TOKEN: 't',
    TELEGRAM_CHAT_ID: 'c',
    MCP_API_KEY: 'k',
    MCP_API_KEYS: 'a:b',
    MCP_PORT: '8000',
  };

  it('passes only the base allow-list by default', () => {
    expect(buildChildEnv(source, [])).toEqual({ PATH: '/bin', HOME: '/home/x', LANG: 'C.UTF-8', LC_ALL: 'C', TZ: 'UTC' });
  });

  it('adds declared names and prefixes', () => {
    const env = buildChildEnv(source, ['TELEGRAM_*', 'DATABASE_URL']);
    expect(env).toMatchObject({ TELEGRAM_BOT_TOKEN: 't', TELEGRAM_CHAT_ID: 'c', DATABASE_URL: 'postgres://' });
    expect(env['AWS_SECRET_ACCESS_KEY']).toBeUndefined();
  });

  it.each([['MCP_API_KEY'], ['MCP_*'], ['MCP_API_KEYS'], ['*']])('never passes the gateway settings and keys, even when %s is allowed', (pattern) => {
    const env = buildChildEnv(source, [pattern]);
    expect(Object.keys(env).filter((k) => k.startsWith('MCP_'))).toEqual([]);
  });

  it('lets the gateway set its own variables on top', () => {
    expect(buildChildEnv(source, [], { MCP_REQUEST_ID: 'r1', PYTHONUNBUFFERED: '1' })).toMatchObject({ MCP_REQUEST_ID: 'r1', PYTHONUNBUFFERED: '1' });
  });
});
