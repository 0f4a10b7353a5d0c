import { ConfigError } from './config.error';

/**
 * Binding beyond loopback without keys would publish every plugin to the network: refuse,
 * unless the operator says so explicitly.
 */
export class FailClosedError extends ConfigError {
  constructor(host: string) {
    super(
      'MCP_HOST',
      host,
      'a loopback address, or an API key',
      `Refusing to start: MCP_HOST=${host} is reachable from other machines and no API key is configured. ` +
        'Set MCP_API_KEY=<secret> (or MCP_API_KEYS=name:key,...), bind to 127.0.0.1, or set MCP_AUTH_DISABLED=1 to run without authentication on purpose.',
    );
    this.name = 'FailClosedError';
  }
}
