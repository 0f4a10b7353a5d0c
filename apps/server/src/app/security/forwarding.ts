import type { IncomingMessage } from 'node:http';
import parseForwarded from 'forwarded-parse';
import proxyaddr from 'proxy-addr';

/**
 * Headers a reverse proxy adds. A request carrying any of them came through a proxy, whoever its
 * peer is: the loopback bypass never applies to it (a proxy on the same host connects from
 * loopback for every client).
 */
export const FORWARDING_HEADERS: readonly string[] = [
  'forwarded',
  'x-forwarded-for',
  'x-real-ip',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-prefix',
  'via',
];

/** Where a request came from, as the front door decided (http/request-checks.ts records it). */
export interface RequestOrigin {
  /** The TCP peer's address (`unknown` when the socket has none left). */
  readonly peer: string;
  /**
   * The client's address: the peer's, or, when the peer is a trusted proxy, the right-most entry
   * of `X-Forwarded-For` (else of `Forwarded`'s `for=`) that is not a trusted proxy.
   */
  readonly client: string;
  /** It carries a forwarding header, or its peer is a trusted proxy. */
  readonly proxied: boolean;
  /** The peer is one of MCP_TRUSTED_PROXIES: its forwarding headers are believed. */
  readonly trustedPeer: boolean;
  /** The trusted peer's `X-Forwarded-Prefix` (normalized by `basePathOf`), when it sent one. */
  readonly prefix?: string;
}

/** A trusted proxy forwarded a header the gateway cannot read; the message says which and why. */
export class ForwardingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForwardingError';
  }
}

const SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+;=:@]|%[0-9A-Fa-f]{2})+$/;

/**
 * A public base path (MCP_PUBLIC_BASE_PATH, `X-Forwarded-Prefix`) without its trailing slashes:
 * `/gw/` is `/gw`, `/` is the empty path. Undefined when it is not an absolute path of plain
 * segments (no query, fragment, spaces, `.` or `..` segments, and no `//`, which a client would
 * resolve as another host).
 */
export function basePathOf(raw: string): string | undefined {
  if (!raw.startsWith('/')) return undefined;
  const path = raw.replace(/\/+$/, '');
  if (path === '') return '';
  const segments = path.slice(1).split('/');
  return segments.every((segment) => SEGMENT.test(segment) && segment !== '.' && segment !== '..') ? path : undefined;
}

export const BASE_PATH_HINT = 'a URL path such as /gw (starting with /, plain segments, no query)';

/** Accepted by `TrustedProxies` (and MCP_TRUSTED_PROXIES): what proxy-addr compiles. */
export const TRUSTED_PROXIES_HINT =
  'a comma-separated list of IP addresses and CIDR ranges, or the names loopback, linklocal, uniquelocal, e.g. loopback,10.0.0.0/8';

/** Why `item` is not a trusted-proxy entry, or undefined when it is one. */
export function trustedProxyProblem(item: string): string | undefined {
  try {
    proxyaddr.compile(item);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** An address as logs and rate-limit buckets show it: an IPv4-mapped IPv6 address as IPv4. */
function plain(address: string): string {
  return address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

/** A `Forwarded` node (`for=`): `192.0.2.43:47011` and `[2001:db8::1]:4711` are their addresses. */
function nodeAddress(node: string): string {
  if (node.startsWith('[')) {
    const end = node.indexOf(']');
    return end < 0 ? node : node.slice(1, end);
  }
  return /^[^:]+:\d+$/.test(node) ? node.slice(0, node.indexOf(':')) : node;
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * MCP_TRUSTED_PROXIES: the peers whose forwarding headers are believed, compiled by proxy-addr
 * (what Express's `trust proxy` setting uses). Without any, every request's client is its peer.
 */
export class TrustedProxies {
  private readonly trust: (address: string, hop: number) => boolean;

  constructor(entries: readonly string[]) {
    this.trust = entries.length > 0 ? proxyaddr.compile([...entries]) : () => false;
  }

  /** Where `req` came from; a ForwardingError when a trusted peer forwarded a header that cannot be read. */
  originOf(req: IncomingMessage): RequestOrigin {
    const peer = plain(req.socket.remoteAddress ?? 'unknown');
    const trustedPeer = this.trust(peer, 0);
    const proxied = trustedPeer || FORWARDING_HEADERS.some((name) => req.headers[name] !== undefined);
    if (!trustedPeer) return { peer, client: peer, proxied, trustedPeer };

    // Nearest hop first; the client is the first one that is not a trusted proxy.
    let client = peer;
    const hops = this.hopsOf(req);
    for (let hop = 0; hop < hops.length; hop++) {
      client = hops[hop];
      if (!this.trust(client, hop + 1)) break;
    }
    const prefixHeader = headerText(req.headers['x-forwarded-prefix']);
    if (prefixHeader === undefined) return { peer, client, proxied, trustedPeer };
    const prefix = basePathOf(prefixHeader);
    if (prefix === undefined) {
      throw new ForwardingError(
        `the X-Forwarded-Prefix header from the proxy (${JSON.stringify(prefixHeader)}) is not ${BASE_PATH_HINT}; fix the proxy's configuration.`,
      );
    }
    return { peer, client, proxied, trustedPeer, prefix };
  }

  /** The forwarded addresses, right-most (nearest) first: X-Forwarded-For's, else Forwarded's `for=`. */
  private hopsOf(req: IncomingMessage): string[] {
    if (req.headers['x-forwarded-for'] !== undefined) return proxyaddr.all(req).slice(1).map(plain);
    const forwarded = headerText(req.headers['forwarded']);
    if (forwarded === undefined) return [];
    let elements: Record<string, string>[];
    try {
      elements = parseForwarded(forwarded);
    } catch (err) {
      throw new ForwardingError(`the Forwarded header is not valid (RFC 7239): ${(err as Error).message}.`);
    }
    return elements
      .map((element) => element['for'])
      .filter((node): node is string => node !== undefined)
      .map((node) => plain(nodeAddress(node)))
      .reverse();
  }
}
