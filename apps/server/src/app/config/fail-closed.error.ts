import { ConfigError } from './config.error';

const FIX =
  'Set MCP_API_KEY=<secret> (or MCP_API_KEYS=name:key,...), %s, or set MCP_AUTH_DISABLED=1 to run without authentication on purpose.';

/**
 * Serving other machines without keys would publish every plugin to the network: refuse,
 * unless the operator says so explicitly. Other machines reach the server through a
 * non-loopback bind, or through a name beyond loopback it accepts in the Host header (a
 * reverse proxy or a published port forwards to a loopback bind).
 */
export class FailClosedError extends ConfigError {
  constructor(variable: 'MCP_HOST' | 'MCP_ALLOWED_HOSTS', value: string) {
    super(
      variable,
      value,
      variable === 'MCP_HOST' ? 'a loopback address, or an API key' : 'loopback names only, or an API key',
      variable === 'MCP_HOST'
        ? `Refusing to start: MCP_HOST=${value} is reachable from other machines and no API key is configured. ${FIX.replace('%s', 'bind to 127.0.0.1')}`
        : `Refusing to start: MCP_ALLOWED_HOSTS accepts ${value}, a name other machines reach this server by, and no API key is configured. ` +
            FIX.replace('%s', 'allow only loopback names'),
    );
    this.name = 'FailClosedError';
  }
}
