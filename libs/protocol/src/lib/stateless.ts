/**
 * Protocol revision 2026-07-28 (stateless): every request names its protocol revision and the
 * client's capabilities in `params._meta`, there is no initialize handshake and no session. This
 * module holds the pure rules: which messages belong to the revision (the one rule both Streamable
 * HTTP and stdio apply), what their envelope must hold, how HTTP headers must agree with the body,
 * and how results are stamped. Transports apply them.
 */
import { ErrorCode, RpcError } from './errors';
import { stringifyExact } from './exact-json';
import { isPlainObject } from './jsonrpc';
import type { JsonRpcMessage } from './jsonrpc';
import { isLoggingLevel } from './mcp';
import type { LoggingLevel } from './mcp';
import type { ParsedPayload } from './parse';
import { SUPPORTED_PROTOCOL_VERSIONS } from './versions';

/** Stateless revisions this gateway speaks, newest first. */
export const STATELESS_PROTOCOL_VERSIONS = ['2026-07-28'] as const;

export type StatelessProtocolVersion = (typeof STATELESS_PROTOCOL_VERSIONS)[number];

/** Everything the gateway speaks on /mcp, newest first: what server/discover and -32022 list. */
export const ALL_PROTOCOL_VERSIONS: readonly string[] = [...STATELESS_PROTOCOL_VERSIONS, ...SUPPORTED_PROTOCOL_VERSIONS];

export function isStatelessVersion(version: unknown): version is StatelessProtocolVersion {
  return (STATELESS_PROTOCOL_VERSIONS as readonly unknown[]).includes(version);
}

/** Reserved `_meta` keys of revision 2026-07-28. */
export const MetaKey = {
  ProtocolVersion: 'io.modelcontextprotocol/protocolVersion',
  ClientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  ClientInfo: 'io.modelcontextprotocol/clientInfo',
  LogLevel: 'io.modelcontextprotocol/logLevel',
  ServerInfo: 'io.modelcontextprotocol/serverInfo',
  SubscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

/** Error codes revision 2026-07-28 adds (answered with HTTP 400). */
export const StatelessErrorCode = {
  HeaderMismatch: -32020,
  MissingRequiredClientCapability: -32021,
  UnsupportedProtocolVersion: -32022,
} as const;

/** Methods of revision 2026-07-28 (beside tools/list and tools/call). */
export const StatelessMethod = {
  Discover: 'server/discover',
  Listen: 'subscriptions/listen',
  Acknowledged: 'notifications/subscriptions/acknowledged',
  ToolsListChanged: 'notifications/tools/list_changed',
} as const;

/** Methods whose Mcp-Name header mirrors a body field, and that field. */
const NAME_SOURCE: Record<string, string> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

function metaOf(message: JsonRpcMessage): Record<string, unknown> | undefined {
  const params = 'params' in message ? message.params : undefined;
  const meta = isPlainObject(params) ? params['_meta'] : undefined;
  return isPlainObject(meta) ? meta : undefined;
}

/**
 * Whether a message belongs to protocol revision 2026-07-28: its `params._meta` holds the
 * `io.modelcontextprotocol/protocolVersion` key. The key alone decides, whatever its value: a wrong
 * value is then answered by the revision's own checks (-32602, -32022), not taken for 2025.
 */
export function isStatelessMessage(message: JsonRpcMessage): boolean {
  const meta = metaOf(message);
  return meta !== undefined && MetaKey.ProtocolVersion in meta;
}

/** The two kinds of protocol revision: 2026-07-28 (stateless) and the 2025 revisions (session-based). */
export type RevisionKind = 'stateless' | 'session-based';

/**
 * The one rule for the protocol revision of what a client sent (a Streamable HTTP body, a stdio
 * line): stateless when any of its valid messages is (`isStatelessMessage`), session-based
 * otherwise, including a payload with no valid message at all. A stateless batch stays stateless,
 * so that it is refused as one (the revision has no batches) instead of being run as 2025 messages.
 */
export function revisionOf(payload: ParsedPayload): RevisionKind {
  for (const item of payload.items) if (item.ok && isStatelessMessage(item.message)) return 'stateless';
  return 'session-based';
}

/** What a valid envelope tells the server about one request. */
export interface StatelessEnvelope {
  protocolVersion: StatelessProtocolVersion;
  clientCapabilities: Record<string, unknown>;
  clientInfo?: { name?: string; version?: string };
  /** Threshold for notifications/message; absent means the request gets none. */
  logLevel?: LoggingLevel;
}

/**
 * Check a message of revision 2026-07-28, in the order the transports must (the first failing rule
 * answers): the envelope's shape (-32602), the HTTP headers against the body when `header` is
 * given (-32020 for a different version or method), the revision (-32022, with the versions we
 * speak), then the headers every request must carry (-32020). Returns the envelope.
 */
export function checkStatelessRequest(message: JsonRpcMessage, header?: HeaderLookup): StatelessEnvelope {
  const { version, envelope } = readEnvelope(message);
  if (header) compareHeaders(message, version, header);
  if (!isStatelessVersion(version)) throw unsupportedVersion(version);
  const checked: StatelessEnvelope = { ...envelope, protocolVersion: version };
  if (header) requireHeaders(message, checked, header);
  return checked;
}

function readEnvelope(message: JsonRpcMessage): { version: string; envelope: Omit<StatelessEnvelope, 'protocolVersion'> } {
  const meta = metaOf(message) ?? {};
  const version = meta[MetaKey.ProtocolVersion];
  if (typeof version !== 'string' || version === '') {
    throw envelopeError(`"${MetaKey.ProtocolVersion}" must be a protocol revision string such as "2026-07-28"`);
  }
  const capabilities = meta[MetaKey.ClientCapabilities];
  if (!isPlainObject(capabilities)) {
    throw envelopeError(
      capabilities === undefined
        ? `"${MetaKey.ClientCapabilities}" is missing (send {} when the client has none)`
        : `"${MetaKey.ClientCapabilities}" must be an object (send {} when the client has none)`,
    );
  }
  const level = meta[MetaKey.LogLevel];
  if (level !== undefined && !isLoggingLevel(level)) {
    throw envelopeError(`"${MetaKey.LogLevel}" must be a logging level such as "info"`);
  }
  const envelope: Omit<StatelessEnvelope, 'protocolVersion'> = { clientCapabilities: capabilities };
  const info = meta[MetaKey.ClientInfo];
  if (isPlainObject(info)) {
    envelope.clientInfo = {
      name: typeof info['name'] === 'string' ? info['name'] : undefined,
      version: typeof info['version'] === 'string' ? info['version'] : undefined,
    };
  }
  if (level !== undefined) envelope.logLevel = level;
  return { version, envelope };
}

function envelopeError(detail: string): RpcError {
  return new RpcError(ErrorCode.InvalidParams, `Invalid params: the request's _meta envelope is invalid: ${detail}.`);
}

export function unsupportedVersion(requested: string): RpcError {
  return new RpcError(
    StatelessErrorCode.UnsupportedProtocolVersion,
    `Unsupported protocol version: '${requested}'. This server speaks ${ALL_PROTOCOL_VERSIONS.join(', ')}; 2025 revisions start with initialize.`,
    { supported: [...ALL_PROTOCOL_VERSIONS], requested },
  );
}

/** The error for a request whose MCP-Protocol-Version header names a stateless revision but whose body has no envelope. */
export function missingEnvelope(headerVersion: string): RpcError {
  return new RpcError(
    ErrorCode.InvalidParams,
    `Invalid params: the MCP-Protocol-Version header names ${headerVersion}, which needs params._meta["${MetaKey.ProtocolVersion}"] and params._meta["${MetaKey.ClientCapabilities}"] in the body; add them, or drop the header and start with initialize (2025 revisions).`,
  );
}

/**
 * An HTTP header value as the client meant it: optional whitespace trimmed, and the
 * `=?base64?...?=` form (for values that are not header-safe) decoded. undefined when the
 * base64 form does not decode.
 */
export function decodeHeaderValue(raw: string): string | undefined {
  const value = raw.trim();
  // Only the whole `=?base64?...?=` form is encoded; anything else is the literal value.
  const match = /^=\?base64\?(.*)\?=$/.exec(value);
  if (!match) return value;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(match[1])) return undefined;
  // Strict base64: padded to a multiple of 4, and canonical (re-encoding gives the same text).
  const bytes = Buffer.from(match[1], 'base64');
  if (match[1].length % 4 !== 0 || bytes.toString('base64') !== match[1]) return undefined;
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    return undefined; // not UTF-8
  }
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Read one request header; undefined when absent. */
export type HeaderLookup = (name: string) => string | undefined;

function mismatch(detail: string): RpcError {
  return new RpcError(StatelessErrorCode.HeaderMismatch, `Bad Request: the request headers and body disagree: ${detail}.`);
}

/** Headers that are present must agree with the body: version and method (-32020). */
function compareHeaders(message: JsonRpcMessage, version: string, header: HeaderLookup): void {
  const method = 'method' in message ? message.method : '';
  const versionHeader = header('mcp-protocol-version');
  if (versionHeader !== undefined && versionHeader.trim() !== version) {
    throw mismatch(`the body names protocol version ${version} but the MCP-Protocol-Version header names ${versionHeader.trim()}`);
  }
  const methodHeader = header('mcp-method');
  if (methodHeader !== undefined && decodeHeaderValue(methodHeader) !== method) {
    throw mismatch(`the body's method is "${method}" but the Mcp-Method header says "${methodHeader.trim()}"`);
  }
}

/**
 * Requests must carry MCP-Protocol-Version and Mcp-Method, and Mcp-Name where the method names
 * something (tools/call: params.name), equal to the body (-32020). Notifications need none.
 */
function requireHeaders(message: JsonRpcMessage, envelope: StatelessEnvelope, header: HeaderLookup): void {
  if (!('id' in message) || !('method' in message)) return;
  const method = message.method;
  if (header('mcp-protocol-version') === undefined) {
    throw mismatch(`the MCP-Protocol-Version header is missing; send "MCP-Protocol-Version: ${envelope.protocolVersion}"`);
  }
  if (header('mcp-method') === undefined) throw mismatch(`the Mcp-Method header is missing; send "Mcp-Method: ${method}"`);
  const field = NAME_SOURCE[method];
  if (field === undefined) return;
  const expected = isPlainObject(message.params) ? message.params[field] : undefined;
  const nameHeader = header('mcp-name');
  if (nameHeader === undefined) throw mismatch(`the Mcp-Name header is missing; ${method} needs it to repeat params.${field}`);
  const name = decodeHeaderValue(nameHeader);
  if (name === undefined) throw mismatch('the Mcp-Name header is not valid =?base64?...?= encoding');
  if (name !== expected) {
    throw mismatch(`the body carries params.${field}=${stringifyExact(expected)} but the Mcp-Name header names ${JSON.stringify(name)}`);
  }
}

/**
 * `Mcp-Param-{Name}` headers (SEP-2243): a tool argument whose property in the tool's inputSchema
 * declares `"x-mcp-header": "Name"` must be mirrored in that header, equal to the body's value
 * (strings as they are, numbers and booleans as JSON) after decoding `=?base64?...?=`. A missing
 * header for an argument the body carries, a header for one it does not carry, an undecodable
 * value or a different one is -32020.
 */
export function checkParamHeaders(inputSchema: unknown, args: Record<string, unknown>, header: HeaderLookup): void {
  const properties = isPlainObject(inputSchema) && isPlainObject(inputSchema['properties']) ? inputSchema['properties'] : {};
  for (const [property, schema] of Object.entries(properties)) {
    const name = isPlainObject(schema) ? schema['x-mcp-header'] : undefined;
    if (typeof name !== 'string' || name === '') continue;
    const headerName = `mcp-param-${name.toLowerCase()}`;
    const raw = header(headerName);
    const value = args[property];
    const present = value !== undefined && value !== null;
    if (raw === undefined) {
      if (present)
        throw mismatch(`argument "${property}" is in the body but the Mcp-Param-${name} header is missing; send it with the same value`);
      continue;
    }
    const decoded = decodeHeaderValue(raw);
    if (decoded === undefined) throw mismatch(`the Mcp-Param-${name} header is not valid =?base64?...?= encoding`);
    if (!present) throw mismatch(`the Mcp-Param-${name} header is sent but the body has no argument "${property}"`);
    const expected = typeof value === 'string' ? value : stringifyExact(value);
    if (decoded !== expected) {
      throw mismatch(
        `the body carries arguments.${property}=${stringifyExact(value)} but the Mcp-Param-${name} header says ${JSON.stringify(decoded)}`,
      );
    }
  }
}

/** What stamps a result of revision 2026-07-28. */
export interface StatelessResultOptions {
  serverInfo: { name: string; version: string };
  /** For cacheable results (server/discover and lists): how long a client may reuse it. */
  cache?: { ttlMs: number; cacheScope: 'public' | 'private' };
}

/**
 * Add `resultType`, the cache hints and `_meta[serverInfo]` to a result (a new object). An
 * InputRequiredResult (`resultType: "input_required"`) keeps its type and is never cacheable.
 */
export function stampStatelessResult(result: unknown, options: StatelessResultOptions): Record<string, unknown> {
  const body: Record<string, unknown> = isPlainObject(result) ? { ...result } : {};
  const incomplete = body['resultType'] === 'input_required';
  body['resultType'] = incomplete ? 'input_required' : 'complete';
  if (options.cache && !incomplete) {
    body['ttlMs'] = options.cache.ttlMs;
    body['cacheScope'] = options.cache.cacheScope;
  }
  const meta = isPlainObject(body['_meta']) ? { ...body['_meta'] } : {};
  meta[MetaKey.ServerInfo] = options.serverInfo;
  body['_meta'] = meta;
  return body;
}
