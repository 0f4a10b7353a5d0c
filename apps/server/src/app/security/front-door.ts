import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { ErrorCode, failure } from '@sanctum/protocol';
import { LOOPBACK_PRINCIPAL, isLoopbackHost } from '../config/config';
import { SECURITY_CONFIG } from '../config/config.slices';
import type { SecurityConfig } from '../config/config.slices';
import { APP_LOGGER } from '../logging/logger';
import { GatewayHealthIndicators } from '../health/gateway.health';
import { closeAfterAnswer } from '../http/body-reader';
import { sendJson } from '../http/json-reply';
import { pathOf, setPrincipal, setRequestOrigin } from '../http/request-checks';
import type { GatewayRequest, GatewayResponse, RequestCheck } from '../http/request-checks';
import { ApiKeyVerifier, presentedKey } from './api-keys';
import { ForwardingError, TrustedProxies } from './forwarding';
import type { RequestOrigin } from './forwarding';

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return isLoopbackHost(address.replace(/^::ffff:/, ''));
}

/** Any credential header, even one that holds no usable key: such a request is not keyless. */
function presentsCredentials(req: GatewayRequest): boolean {
  return req.headers.authorization !== undefined || req.headers['x-api-key'] !== undefined;
}

function hostName(hostHeader: string): string {
  const host = hostHeader.trim().toLowerCase();
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  return host.split(':')[0];
}

/** Whether the Host header names this machine (or is absent, as from an HTTP/1.0 client). */
function loopbackHostHeader(req: GatewayRequest): boolean {
  const header = req.headers.host;
  return header === undefined || isLoopbackHost(hostName(header));
}

/**
 * The front door, before any route: where the request came from (the client's address behind
 * trusted proxies, MCP_TRUSTED_PROXIES), DNS-rebinding protection (Host and Origin checks),
 * draining (503 once a shutdown began) and API-key authentication, which records the request's
 * principal. Failures are answered here with JSON-RPC error bodies and the right status. A request check of
 * the route table (http/routes.ts): Node's request and response API only.
 */
@Injectable()
export class FrontDoor {
  private readonly verifier: ApiKeyVerifier;
  private readonly loopbackBind: boolean;
  private readonly proxies: TrustedProxies;

  constructor(
    @Inject(SECURITY_CONFIG) private readonly config: SecurityConfig,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
    private readonly lifecycle: GatewayHealthIndicators,
  ) {
    this.verifier = new ApiKeyVerifier(config.apiKeys);
    this.loopbackBind = isLoopbackHost(config.host);
    this.proxies = new TrustedProxies(config.trustedProxies);
  }

  readonly check: RequestCheck = (req, res, next) => this.use(req, res, next);

  private use(req: GatewayRequest, res: GatewayResponse, next: () => void): void {
    const path = pathOf(req);
    let origin: RequestOrigin;
    try {
      origin = this.proxies.originOf(req);
    } catch (err) {
      if (!(err instanceof ForwardingError)) throw err;
      this.logger.warn(`Refused ${req.method} ${path}: ${err.message} (from ${req.socket.remoteAddress ?? 'unknown'})`, 'Security');
      closeAfterAnswer(req, res);
      sendJson(res, 400, failure(null, { code: ErrorCode.InvalidRequest, message: `Bad Request: ${err.message}` }));
      return;
    }
    setRequestOrigin(res, origin);
    const refused = this.checkHost(req) ?? this.checkOrigin(req);
    if (refused) {
      this.logger.warn(`Refused ${req.method} ${path}: ${refused} (from ${origin.client})`, 'Security');
      closeAfterAnswer(req, res);
      sendJson(res, 403, failure(null, { code: ErrorCode.InvalidRequest, message: `Forbidden: ${refused}` }));
      return;
    }
    if (req.method === 'OPTIONS') return next(); // CORS preflight carries no credentials
    const isHealth = path === '/health' || path.startsWith('/health/');
    if (this.lifecycle.isShuttingDown && !isHealth) {
      // Draining: finish what runs, take nothing new, and let keep-alive clients reconnect elsewhere.
      res.setHeader('Connection', 'close');
      sendJson(res, 503, failure(null, { code: ErrorCode.ConnectionClosed, message: 'The server is shutting down: retry after it restarts, or on another instance.' }));
      return;
    }
    // The console's page and files hold no data (its API at /console/api/ needs an admin key): a
    // browser must be able to load them to ask for the key.
    const isConsolePage = path === '/console' || path === '/console/' || path.startsWith('/console/assets/');
    if (!this.verifier.enabled || (isHealth && !this.config.healthAuth) || isConsolePage) {
      setPrincipal(res, 'anonymous');
      return next();
    }
    // The bypass admits only a request that presents nothing: a key that is sent is always
    // verified, so a wrong one is refused and a right one is that key, from loopback too. Never
    // through a proxy (forwarding headers, a trusted proxy's peer, a Host that is not a loopback
    // name): a proxy on this host connects from loopback for every client it forwards.
    if (this.config.authLoopbackBypass && !presentsCredentials(req) && this.isLocalClient(req, origin)) {
      setPrincipal(res, LOOPBACK_PRINCIPAL);
      return next();
    }
    const presented = presentedKey(req.headers);
    const key = presented !== undefined && 'key' in presented ? presented.key : undefined;
    const name = key === undefined ? undefined : this.verifier.verify(key);
    if (name === undefined) {
      const why = presented === undefined ? 'no API key' : 'several' in presented ? `several different keys in ${presented.several}` : 'unknown API key';
      this.logger.warn(`Unauthorized ${req.method} ${path}: ${why} (from ${origin.client})`, 'Security');
      closeAfterAnswer(req, res);
      res.setHeader('WWW-Authenticate', 'Bearer realm="sanctum-mcp"');
      sendJson(
        res,
        401,
        failure(null, {
          code: ErrorCode.ConnectionClosed,
          message:
            presented === undefined
              ? 'Unauthorized: send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>".'
              : 'several' in presented
                ? `Unauthorized: the ${presented.several} header has several different values; send one API key.`
                : 'Unauthorized: the API key is not valid.',
        }),
      );
      return;
    }
    setPrincipal(res, name);
    next();
  }

  /** A client on this machine that connected directly: what MCP_AUTH_LOOPBACK_BYPASS admits. */
  private isLocalClient(req: GatewayRequest, origin: RequestOrigin): boolean {
    return !origin.proxied && isLoopbackAddress(origin.client) && loopbackHostHeader(req);
  }

  private checkHost(req: GatewayRequest): string | undefined {
    const header = req.headers.host;
    if (header === undefined) return undefined;
    const host = hostName(header);
    if (this.config.allowedHosts.length > 0) {
      return this.config.allowedHosts.includes(host) ? undefined : `Host "${host}" is not allowed (MCP_ALLOWED_HOSTS).`;
    }
    if (this.loopbackBind && !isLoopbackHost(host)) {
      return `Host "${host}" is not a loopback name; this server is bound to ${this.config.host}. Add the name to MCP_ALLOWED_HOSTS if it is yours.`;
    }
    return undefined;
  }

  private checkOrigin(req: GatewayRequest): string | undefined {
    const origin = req.headers.origin;
    if (origin === undefined || origin === 'null') return origin === 'null' ? 'Origin "null" is not allowed.' : undefined;
    if (this.config.corsOrigins.includes('*') || this.config.allowedOrigins.includes(origin)) return undefined;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return `Origin "${origin}" is not a valid origin.`;
    }
    if (this.loopbackBind && isLoopbackHost(url.hostname)) return undefined;
    return `Origin "${origin}" is not allowed. Add it to MCP_ALLOWED_ORIGINS (or MCP_CORS_ORIGINS for browsers).`;
  }
}
