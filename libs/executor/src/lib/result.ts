import type { CallToolResult, ContentBlock } from '@sanctum/protocol';
import { ToolErrorCode, isPlainObject, parseJsonExact, stringifyExact, toolError } from '@sanctum/protocol';
import type { RunResult } from './runner';

/** Longest stderr excerpt quoted in an error result. */
export const STDERR_EXCERPT_CHARS = 2_000;

function excerpt(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > STDERR_EXCERPT_CHARS ? `…${trimmed.slice(-STDERR_EXCERPT_CHARS)}` : trimmed;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * The one mapping from a tool's value to its result, for a plugin's `{"result": x}` (x) and for a
 * provider tool's return value alike: a string as that text; an object as pretty JSON text and
 * structuredContent; anything else (array, number, boolean, null) as pretty JSON text. A provider
 * tool returning nothing (undefined) gets empty text, as a plugin printing nothing does. Bigints
 * (integers beyond 2^53) are written as their digits.
 */
export function toolResultFromValue(value: unknown): CallToolResult {
  if (typeof value === 'string') return { content: [{ type: 'text', text: value }] };
  if (value === undefined) return { content: [{ type: 'text', text: '' }] };
  if (isPlainObject(value)) {
    return { content: [{ type: 'text', text: stringifyExact(value, 2) }], structuredContent: value };
  }
  return { content: [{ type: 'text', text: stringifyExact(value, 2) }] };
}

function errorText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (isPlainObject(error) && typeof error['message'] === 'string') return error['message'];
  return stringifyExact(error);
}

/**
 * `{"error": e, ...}` as a plugin_error that keeps every field: the message from `e`, and the
 * other fields (the object's own, and `e`'s besides its message) appended to the text as JSON and
 * added to `structuredContent.error` (the gateway's `code` and `message` win a clash there; the
 * text still carries the plugin's). Plugins written for the Python original print such hints
 * (`{"ok": false, "error": "invalid_operation", "hint": "use add, ..."}`) for the agent to act on.
 */
function pluginErrorResult(output: Record<string, unknown>): CallToolResult {
  const error = output['error'];
  const message = errorText(error);
  const details: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(output)) if (key !== 'error') details[key] = value;
  if (isPlainObject(error) && typeof error['message'] === 'string') {
    for (const [key, value] of Object.entries(error)) if (key !== 'message' && !Object.hasOwn(details, key)) details[key] = value;
  }
  const result = toolError(ToolErrorCode.PluginError, message);
  if (Object.keys(details).length === 0) return result;
  return {
    content: [{ type: 'text', text: `${message}\n${stringifyExact(details, 2)}` }],
    structuredContent: { error: { ...details, code: ToolErrorCode.PluginError, message } },
    isError: true,
  };
}

/** `{"result": x}` and nothing else (an `"error": null` says no more than its absence). */
function isResultAlone(output: Record<string, unknown>): boolean {
  return 'result' in output && Object.entries(output).every(([key, value]) => key === 'result' || (key === 'error' && value === null));
}

function isContentBlock(value: unknown): value is ContentBlock {
  if (!isPlainObject(value)) return false;
  switch (value['type']) {
    case 'text':
      return typeof value['text'] === 'string';
    case 'image':
    case 'audio':
      return typeof value['data'] === 'string' && typeof value['mimeType'] === 'string';
    case 'resource':
      return isPlainObject(value['resource']) && typeof value['resource']['uri'] === 'string';
    case 'resource_link':
      return typeof value['uri'] === 'string' && typeof value['name'] === 'string';
    default:
      return false;
  }
}

/**
 * The one mapping from a finished plugin process to an MCP tool result:
 * - spawn failure, timeout, cancellation: error results with their own codes;
 * - a run the gateway lost (the Python fork server died during it): `internal_error`;
 * - output past a cap: `plugin_error` naming the stream and the cap;
 * - a fork or thread refused at the sandbox's process limit: `plugin_error` naming the limit;
 * - stdout JSON `{"error": ...}`: `plugin_error` with the message, keeping the other fields;
 * - a non-zero exit: `plugin_error` with a stderr (else stdout) excerpt;
 * - stdout JSON `{"result": x}` alone: toolResultFromValue(x);
 * - stdout JSON `{"content": [...]}` of valid MCP content blocks (no `result`): the blocks passed through;
 * - any other JSON object (`{"ok": true, "result": 5, "a": 2}`): toolResultFromValue of the whole object;
 * - any other stdout (text, a JSON array): the text itself.
 */
export function mapRunResult(run: RunResult, toolLabel: string, timeoutMs?: number): CallToolResult {
  if (run.spawnError) {
    return toolError(ToolErrorCode.InternalError, `Could not start ${toolLabel}: ${run.spawnError}`);
  }
  if (run.internalError) {
    return toolError(ToolErrorCode.InternalError, `${toolLabel} did not finish: ${run.internalError}; the plugin's processes were killed.`);
  }
  if (run.processLimit !== undefined) {
    return toolError(
      ToolErrorCode.PluginError,
      `${toolLabel} reached its limit of ${run.processLimit} processes and threads (MCP_PLUGIN_MAX_PROCS): a fork or thread was refused, and the plugin's processes were killed.`,
    );
  }
  if (run.timedOut) {
    const seconds = timeoutMs ? ` after ${(timeoutMs / 1000).toFixed(timeoutMs % 1000 === 0 ? 0 : 1)} s` : '';
    return toolError(ToolErrorCode.Timeout, `${toolLabel} timed out${seconds}; the plugin's processes were killed.`);
  }
  if (run.cancelled) {
    return toolError(ToolErrorCode.Cancelled, `${toolLabel} was cancelled; the plugin's processes were killed.`);
  }
  if (run.outputLimit) {
    const { stream, limitBytes } = run.outputLimit;
    return toolError(
      ToolErrorCode.PluginError,
      `${toolLabel} printed more than ${formatBytes(limitBytes)} on ${stream}; the output was truncated at ${limitBytes} bytes and the plugin's processes were killed.`,
    );
  }
  if (run.stdoutTruncated) {
    return toolError(
      ToolErrorCode.PluginError,
      `${toolLabel} printed more output than the gateway keeps; the output was truncated and the call failed.`,
    );
  }

  const text = run.stdout.trim();
  let parsed: unknown;
  let isJson = false;
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      // Integers beyond 2^53 keep their digits (bigints), as in requests.
      parsed = parseJsonExact(text);
      isJson = true;
    } catch {
      isJson = false;
    }
  }

  if (isJson && isPlainObject(parsed) && 'error' in parsed && parsed['error'] !== null && parsed['error'] !== undefined) {
    return pluginErrorResult(parsed);
  }
  if (run.exitCode !== 0) {
    const how = run.exitCode === null ? `was killed by ${run.signal ?? 'a signal'}` : `exited with code ${run.exitCode}`;
    const detail = excerpt(run.stderr) || excerpt(run.stdout);
    return toolError(ToolErrorCode.PluginError, detail ? `${toolLabel} ${how}: ${detail}` : `${toolLabel} ${how} and printed nothing.`);
  }
  if (isJson && isPlainObject(parsed)) {
    if (isResultAlone(parsed)) return toolResultFromValue(parsed['result']);
    const content = parsed['content'];
    if (!('result' in parsed) && Array.isArray(content) && content.length > 0 && content.every(isContentBlock)) {
      return { content };
    }
    // Any other object keeps every field, as a provider tool returning it would.
    return toolResultFromValue(parsed);
  }
  return { content: [{ type: 'text', text: run.stdout }] };
}
