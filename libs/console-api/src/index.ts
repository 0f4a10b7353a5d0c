// The operator console's HTTP API (/console/api/...): the JSON the gateway sends (apps/server,
// app/console) and the console page reads (apps/console). Wire interfaces only: no code, no I/O.

export interface ConsolePlugin {
  name: string;
  dir: string;
  /** From the entry file: Python, JavaScript (Node.js), shell or executable. */
  language: string;
  version?: string;
  /** How the commands were learnt: `--describe` or `--help`. */
  via: 'describe' | 'help';
  commands: Array<{ name: string; description: string }>;
}

export interface ConsolePlugins {
  loaded: ConsolePlugin[];
  skipped: Array<{ name: string; dir: string; reason: string }>;
  /** Why the whole plugins folder was refused, when it was. */
  refusal?: string;
  /** When the console first saw this discovery's result (ms since epoch): the end of that discovery. */
  discoveredAt: number;
}

export interface ConsoleTool {
  name: string;
  qualifiedName: string;
  description: string;
  /** The plugin it comes from, or `provider` for an in-process (@McpTool) tool. */
  source: string;
  inputSchema: unknown;
  outputSchema?: unknown;
  /** MCP tool annotations (readOnlyHint, ...), as tools/list gives them. */
  annotations?: object;
  /** The profiles (MCP_PROFILES) whose view holds the tool; absent without profiles (every caller sees it). */
  profiles?: string[];
}

/** The catalog's resources, resource templates and prompts. */
export interface ConsoleContent {
  resources: Array<{ uri: string; name: string; title?: string; description?: string; mimeType?: string; owner: string }>;
  templates: Array<{ uriTemplate: string; name: string; title?: string; description?: string; mimeType?: string; owner: string }>;
  prompts: Array<{
    name: string;
    qualifiedName: string;
    title?: string;
    description?: string;
    arguments: Array<{ name: string; description?: string; required: boolean }>;
  }>;
}

export interface ConsoleSession {
  id: string;
  transport: string;
  protocolVersion?: string;
  client?: { name?: string; version?: string };
  /** The principal that owns it: an API key's name, `loopback` or `anonymous`. */
  owner?: string;
  /** The client's X-Agent-Id header, when it sent one. */
  agentId?: string;
  /** The profile endpoint (`/profiles/<name>/...`) it was opened through, if any. */
  profileEndpoint?: string;
  createdAt: number;
  /** When its last call in the recent-calls ring finished, if any. */
  lastCallAt?: number;
  /**
   * Idle since when (ms since epoch): no connection of its client open and no call running, as
   * /health counts it; absent while it is live.
   */
  idleSince?: number;
  inFlight: number;
}

export interface SessionList {
  /** Open sessions in this gateway process; `sessions` holds the newest of them. */
  total: number;
  sessions: ConsoleSession[];
}

/** One finished tool call. */
export interface RecentCall {
  /** Increases by one per call: what a live view has already seen. */
  seq: number;
  /** When the call finished (ms since epoch). */
  at: number;
  tool: string;
  sessionId: string;
  transport: string;
  /** The principal that made the call (an API key's name, `loopback` or `anonymous`). */
  principal?: string;
  durationMs: number;
  /** `ok`, or the tool result's error code. */
  outcome: string;
  /** The tool result's error text (for plugin errors, with the stderr excerpt); only for failed calls. */
  error?: string;
  /** The arguments, only when LOG_LEVEL=debug. */
  arguments?: Record<string, unknown>;
}

export interface LogLine {
  seq: number;
  /** ISO timestamp, as the log line shows it. */
  timestamp: string;
  level: string;
  message: string;
  context?: string;
}

/** The charts' data: one entry per interval, the last one the minute in progress. */
export interface ChartSeries {
  stepMs: number;
  /** End of each interval (ms since epoch). */
  times: number[];
  /** Calls finished in each interval, by outcome. */
  calls: Record<string, number[]>;
  /** Latency percentiles of the calls of each interval, in ms (null: no call). */
  p50: Array<number | null>;
  p95: Array<number | null>;
  p99: Array<number | null>;
  /** Open sessions at the end of each interval. */
  sessions: number[];
}

/** `GET /console/api/overview`: everything the page shows, and the console token. */
export interface ConsoleOverview {
  principal: string;
  /** Send back in X-Console-Token with every state-changing request. */
  token: string;
  /** Whether argument values appear in recent calls (LOG_LEVEL=debug). */
  showsArguments: boolean;
  plugins: ConsolePlugins;
  tools: ConsoleTool[];
  content: ConsoleContent;
  sessions: SessionList;
  calls: RecentCall[];
  logs: LogLine[];
  charts: ChartSeries;
  now: number;
}
