/** Variables every plugin gets from the gateway's environment (names, or prefixes ending in `*`). */
export const BASE_ENV_ALLOW = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TZ',
  'TMPDIR',
  'TEMP',
  'TMP',
  // W3C trace context (a call's own, set by the gateway, wins) and where a plugin that traces sends
  // its spans: the OTLP endpoint and protocol, not OTEL_EXPORTER_OTLP_HEADERS (it may hold a secret).
  'TRACEPARENT',
  'TRACESTATE',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
] as const;

/** Never passed on, whatever a plugin or the operator allows: the gateway's own settings and secrets. */
export const ENV_DENY = ['MCP_*'] as const;

function matches(name: string, pattern: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/**
 * The environment of a plugin process: an allow-list over the gateway's environment (base
 * variables, the operator's MCP_PLUGIN_ENV, the variables the plugin declares it needs), minus
 * the deny-list, plus what the gateway sets itself (`extra`, e.g. MCP_REQUEST_ID).
 */
export function buildChildEnv(
  source: NodeJS.ProcessEnv,
  allow: readonly string[],
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  const patterns = [...BASE_ENV_ALLOW, ...allow];
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined) continue;
    if (ENV_DENY.some((p) => matches(name, p))) continue;
    if (patterns.some((p) => matches(name, p))) env[name] = value;
  }
  return { ...env, ...extra };
}
