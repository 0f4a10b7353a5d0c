// Pins who a request comes from behind reverse proxies (issue 16, item 4): forwarding headers are
// believed only from MCP_TRUSTED_PROXIES, the client is the right-most untrusted hop, and any
// forwarding header marks a request as proxied (so the loopback bypass never applies to it).
import type { IncomingMessage } from 'node:http';
import { FORWARDING_HEADERS, ForwardingError, TrustedProxies, basePathOf, trustedProxyProblem } from './forwarding';

function request(peer: string | undefined, headers: Record<string, string> = {}): IncomingMessage {
  return { socket: { remoteAddress: peer }, headers } as unknown as IncomingMessage;
}

describe('TrustedProxies.originOf', () => {
  const none = new TrustedProxies([]);
  const loopback = new TrustedProxies(['loopback']);

  it('takes a direct request from its peer, unproxied', () => {
    expect(none.originOf(request('127.0.0.1'))).toEqual({ peer: '127.0.0.1', client: '127.0.0.1', proxied: false, trustedPeer: false });
  });

  it.each(FORWARDING_HEADERS)(
    'marks a request carrying %s as proxied even from an untrusted loopback peer (no bypass through a proxy)',
    (name) => {
      const origin = none.originOf(request('127.0.0.1', { [name]: name === 'forwarded' ? 'for=203.0.113.7' : '203.0.113.7' }));
      expect(origin).toMatchObject({ client: '127.0.0.1', proxied: true, trustedPeer: false });
    },
  );

  it('does not believe an untrusted peer’s X-Forwarded-For (a client cannot choose its rate-limit bucket)', () => {
    expect(none.originOf(request('198.51.100.1', { 'x-forwarded-for': '203.0.113.7' })).client).toBe('198.51.100.1');
    expect(new TrustedProxies(['10.0.0.0/8']).originOf(request('198.51.100.1', { 'x-forwarded-for': '203.0.113.7' })).client).toBe(
      '198.51.100.1',
    );
  });

  it('takes the right-most untrusted X-Forwarded-For entry from a trusted peer, not a spoofed left-most one', () => {
    const proxies = new TrustedProxies(['10.0.0.0/8', '127.0.0.1']);
    const origin = proxies.originOf(request('127.0.0.1', { 'x-forwarded-for': '192.0.2.66, 203.0.113.7, 10.1.2.3' }));
    expect(origin).toEqual({ peer: '127.0.0.1', client: '203.0.113.7', proxied: true, trustedPeer: true });
  });

  it('marks a trusted peer’s request as proxied even without forwarding headers, its client being the peer', () => {
    expect(loopback.originOf(request('::1'))).toEqual({ peer: '::1', client: '::1', proxied: true, trustedPeer: true });
  });

  it('takes the left-most hop when every hop is trusted', () => {
    expect(loopback.originOf(request('127.0.0.1', { 'x-forwarded-for': '127.0.0.5, 127.0.0.2' })).client).toBe('127.0.0.5');
  });

  it('reads IPv4-mapped peers as IPv4 (the `loopback` name matches them)', () => {
    expect(loopback.originOf(request('::ffff:127.0.0.1', { 'x-forwarded-for': '203.0.113.7' }))).toMatchObject({
      peer: '127.0.0.1',
      client: '203.0.113.7',
    });
  });

  it('reads Forwarded for= nodes (quoted, with ports; IPv6 in brackets) when there is no X-Forwarded-For', () => {
    const headers = { forwarded: 'for="192.0.2.60:4711";proto=http, For="[2001:db8:cafe::17]:4711";by=10.0.0.1' };
    expect(loopback.originOf(request('127.0.0.1', headers)).client).toBe('2001:db8:cafe::17');
    const trustingV6 = new TrustedProxies(['loopback', '2001:db8:cafe::/48']);
    expect(trustingV6.originOf(request('127.0.0.1', headers)).client).toBe('192.0.2.60');
  });

  it('prefers X-Forwarded-For to Forwarded (the documented nginx configuration appends to X-Forwarded-For only)', () => {
    const origin = loopback.originOf(request('127.0.0.1', { forwarded: 'for=192.0.2.1', 'x-forwarded-for': '203.0.113.7' }));
    expect(origin.client).toBe('203.0.113.7');
  });

  it('refuses a trusted peer’s Forwarded header that is not RFC 7239, saying so', () => {
    expect(() => loopback.originOf(request('127.0.0.1', { forwarded: 'for=' }))).toThrow(ForwardingError);
    expect(() => loopback.originOf(request('127.0.0.1', { forwarded: 'for=' }))).toThrow(/Forwarded header is not valid \(RFC 7239\)/);
  });

  it('takes X-Forwarded-Prefix from a trusted peer only', () => {
    expect(loopback.originOf(request('127.0.0.1', { 'x-forwarded-prefix': '/gw/' })).prefix).toBe('/gw');
    expect(none.originOf(request('127.0.0.1', { 'x-forwarded-prefix': '/gw' })).prefix).toBeUndefined();
  });

  it('refuses a trusted peer’s X-Forwarded-Prefix that would send clients elsewhere (//host), naming the header', () => {
    expect(() => loopback.originOf(request('127.0.0.1', { 'x-forwarded-prefix': '//evil.example' }))).toThrow(
      /X-Forwarded-Prefix header from the proxy/,
    );
  });
});

describe('basePathOf', () => {
  it.each([
    ['/gw', '/gw'],
    ['/gw/', '/gw'],
    ['/', ''],
    ['/a/b%20c', '/a/b%20c'],
  ])('normalizes %s to %s', (raw, path) => {
    expect(basePathOf(raw)).toBe(path);
  });

  it.each(['gw', '//evil.example', '/gw?x=1', '/gw#f', '/a/../b', '/a b', '/%zz', 'https://evil.example/gw'])('refuses %s', (raw) => {
    expect(basePathOf(raw)).toBeUndefined();
  });
});

describe('trustedProxyProblem', () => {
  it('accepts what proxy-addr compiles and names what it does not', () => {
    expect(trustedProxyProblem('loopback')).toBeUndefined();
    expect(trustedProxyProblem('10.0.0.0/8')).toBeUndefined();
    expect(trustedProxyProblem('fd00::/8')).toBeUndefined();
    expect(trustedProxyProblem('proxy.example')).toMatch(/invalid IP address/);
  });
});
