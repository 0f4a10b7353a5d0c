/** MCP protocol revisions this gateway speaks, newest first. */
export const SUPPORTED_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;

export type ProtocolVersion = (typeof SUPPORTED_PROTOCOL_VERSIONS)[number];

export const LATEST_PROTOCOL_VERSION: ProtocolVersion = SUPPORTED_PROTOCOL_VERSIONS[0];

/** The revision of the HTTP+SSE transport (`GET /sse` + `POST /message`). */
export const HTTP_SSE_PROTOCOL_VERSION: ProtocolVersion = '2024-11-05';

export function isSupportedVersion(version: unknown): version is ProtocolVersion {
  return (SUPPORTED_PROTOCOL_VERSIONS as readonly unknown[]).includes(version);
}

/**
 * Version negotiation (MCP lifecycle): answer with the client's version when we support it,
 * otherwise with the latest we support; the client then decides whether to continue.
 */
export function negotiateVersion(requested: unknown): ProtocolVersion {
  return isSupportedVersion(requested) ? requested : LATEST_PROTOCOL_VERSION;
}
