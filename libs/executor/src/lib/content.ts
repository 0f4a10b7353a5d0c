import type { PromptMessage, ResourceContents } from '@sanctum/protocol';
import { MAX_COMPLETION_VALUES, isPlainObject } from '@sanctum/protocol';

/**
 * A plugin's output cannot be what it was asked for (resource contents, prompt messages,
 * completion values): the message says what was wrong and what the plugin should print instead.
 */
export class PluginOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PluginOutputError';
  }
}

/** Mime types whose content is text: served as `text`, everything else as base64 `blob`. */
export function isTextMimeType(mimeType: string): boolean {
  const type = mimeType.split(';')[0].trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    /^application\/(json|xml|javascript|ecmascript|yaml|x-yaml|toml|sql|graphql|x-sh|x-ndjson)$/.test(type) ||
    /\+(json|xml|yaml)$/.test(type)
  );
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Output that is a JSON object holding a list under `key` (`{"contents": [...]}`,
 * `{"messages": [...]}`), or undefined: any other output is content as it is.
 */
function objectWithList(trimmed: string, key: string): { object: Record<string, unknown>; list: unknown[] } | undefined {
  if (!trimmed.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!isPlainObject(parsed)) return undefined;
  const list = parsed[key];
  return Array.isArray(list) ? { object: parsed, list } : undefined;
}

function base64Problem(value: string): string | undefined {
  return value.length % 4 === 0 && BASE64.test(value) ? undefined : 'is not base64 (RFC 4648, with padding)';
}

/** What a resources/read asked for: the URI read and the mime type the catalog declares. */
export interface ResourceReadRequest {
  uri: string;
  mimeType?: string;
  /** `plugin.command`, for messages. */
  label: string;
}

function checkedPart(part: unknown, index: number, request: ResourceReadRequest): ResourceContents {
  const at = `contents[${index}]`;
  if (!isPlainObject(part)) throw new PluginOutputError(`${request.label} printed ${at} that is not an object`);
  const uri = part['uri'] ?? request.uri;
  if (typeof uri !== 'string' || uri === '') throw new PluginOutputError(`${request.label} printed ${at}.uri that is not a text`);
  const mimeType = part['mimeType'] ?? request.mimeType;
  const out: Record<string, unknown> = { uri };
  if (typeof mimeType === 'string') out['mimeType'] = mimeType;
  if (isPlainObject(part['_meta'])) out['_meta'] = part['_meta'];
  if (typeof part['text'] === 'string') return { ...out, text: part['text'] } as ResourceContents;
  if (typeof part['blob'] === 'string') {
    const blob = part['blob'].replace(/\s+/g, '');
    const problem = base64Problem(blob);
    if (problem) throw new PluginOutputError(`${request.label} printed ${at}.blob that ${problem}`);
    return { ...out, blob } as ResourceContents;
  }
  throw new PluginOutputError(`${request.label} printed ${at} without "text" or "blob"; give one of them`);
}

/**
 * The one mapping from a resource command's stdout to resources/read contents: a JSON object
 * `{"contents": [...]}` gives several parts (each `text` or base64 `blob`, `uri` and `mimeType`
 * defaulting to the request's); otherwise stdout is the content: text as printed for a text mime
 * type (or none declared), base64 for any other, served as `blob`. Never an empty result.
 */
export function resourceContentsFromOutput(stdout: string, request: ResourceReadRequest): ResourceContents[] {
  const trimmed = stdout.trim();
  const parsed = objectWithList(trimmed, 'contents');
  if (parsed) {
    const parts = parsed.list;
    if (parts.length === 0) throw new PluginOutputError(`${request.label} printed {"contents": []}; a resource has at least one part`);
    return parts.map((part, index) => checkedPart(part, index, request));
  }
  const base: Record<string, unknown> = { uri: request.uri };
  if (request.mimeType) base['mimeType'] = request.mimeType;
  if (request.mimeType && !isTextMimeType(request.mimeType)) {
    const blob = trimmed.replace(/\s+/g, '');
    if (blob === '') throw new PluginOutputError(`${request.label} printed nothing for ${request.uri}`);
    const problem = base64Problem(blob);
    if (problem) throw new PluginOutputError(`${request.label} printed content for ${request.mimeType} that ${problem}; print binary content as base64`);
    return [{ ...base, blob } as ResourceContents];
  }
  return [{ ...base, text: stdout } as ResourceContents];
}

/**
 * A file's bytes as resources/read contents: text for a text mime type (or, with none declared,
 * valid UTF-8 as text/plain), else base64 `blob` (application/octet-stream when undeclared).
 */
export function resourceContentsFromFile(bytes: Uint8Array, request: Omit<ResourceReadRequest, 'label'>): ResourceContents[] {
  let text: string | undefined;
  if (!request.mimeType || isTextMimeType(request.mimeType)) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      text = undefined;
    }
  }
  if (text !== undefined) return [{ uri: request.uri, mimeType: request.mimeType ?? 'text/plain', text }];
  return [{ uri: request.uri, mimeType: request.mimeType ?? 'application/octet-stream', blob: Buffer.from(bytes).toString('base64') }];
}

const CONTENT_NEEDS: Record<string, string[]> = {
  text: ['text'],
  image: ['data', 'mimeType'],
  audio: ['data', 'mimeType'],
  resource: ['resource'],
  resource_link: ['uri', 'name'],
};

function checkedMessage(message: unknown, index: number, label: string): PromptMessage {
  const at = `messages[${index}]`;
  if (!isPlainObject(message)) throw new PluginOutputError(`${label} printed ${at} that is not an object`);
  const role = message['role'];
  if (role !== 'user' && role !== 'assistant') throw new PluginOutputError(`${label} printed ${at}.role ${JSON.stringify(role)}; use "user" or "assistant"`);
  const content = message['content'];
  if (!isPlainObject(content)) throw new PluginOutputError(`${label} printed ${at}.content that is not an object`);
  const needs = CONTENT_NEEDS[String(content['type'])];
  if (!needs) throw new PluginOutputError(`${label} printed ${at}.content.type ${JSON.stringify(content['type'])}; use one of ${Object.keys(CONTENT_NEEDS).join(', ')}`);
  const missing = needs.filter((key) => content[key] === undefined || content[key] === null);
  if (missing.length > 0) throw new PluginOutputError(`${label} printed ${at}.content (${String(content['type'])}) without ${missing.join(', ')}`);
  if (content['type'] === 'resource') {
    const resource = content['resource'];
    if (!isPlainObject(resource) || typeof resource['uri'] !== 'string' || (typeof resource['text'] !== 'string' && typeof resource['blob'] !== 'string')) {
      throw new PluginOutputError(`${label} printed ${at}.content.resource without "uri" and "text" or "blob"`);
    }
  }
  return { role, content: content as unknown as PromptMessage['content'] };
}

/** Messages checked one by one (a template's, once its placeholders are filled; a provider's). */
export function checkedMessages(messages: readonly unknown[], label: string): PromptMessage[] {
  if (messages.length === 0) throw new PluginOutputError(`${label} gave no messages; a prompt has at least one message`);
  return messages.map((m, i) => checkedMessage(m, i, label));
}

export interface RenderedPrompt {
  description?: string;
  messages: PromptMessage[];
}

/**
 * The one mapping from a prompt command's stdout to prompts/get: JSON `{"messages": [...]}` (with
 * an optional `description`) checked message by message (text, image, audio, embedded resource,
 * resource link), or plain text as one user message. Nothing printed is an error, never an empty
 * prompt.
 */
export function promptFromOutput(stdout: string, label: string): RenderedPrompt {
  const trimmed = stdout.trim();
  if (trimmed === '') throw new PluginOutputError(`${label} printed nothing; print the prompt's text, or {"messages": [...]}`);
  const parsed = objectWithList(trimmed, 'messages');
  if (parsed) {
    const rendered: RenderedPrompt = { messages: checkedMessages(parsed.list, label) };
    const description = parsed.object['description'];
    if (typeof description === 'string') rendered.description = description;
    return rendered;
  }
  return { messages: [{ role: 'user', content: { type: 'text', text: trimmed } }] };
}

/** MCP `completion/complete`'s `completion` object. */
export interface CompletionValues {
  values: string[];
  total?: number;
  hasMore?: boolean;
}

/** At most 100 values, with `total` and `hasMore` saying how many there were (as MCP asks). */
export function boundedCompletion(values: readonly string[], total = values.length, hasMore?: boolean): CompletionValues {
  const kept = values.slice(0, MAX_COMPLETION_VALUES);
  const more = hasMore === true || total > kept.length;
  const completion: CompletionValues = { values: kept, total: Math.max(total, kept.length) };
  if (more) completion.hasMore = true;
  return completion;
}

/** A static list of values, narrowed to those starting with the partial value (case-insensitive). */
export function completeFromList(values: readonly string[], partial: string): CompletionValues {
  const prefix = partial.toLowerCase();
  return boundedCompletion(values.filter((value) => value.toLowerCase().startsWith(prefix)));
}

/**
 * A completion command's stdout: a JSON array of strings, `{"values": [...], "total"?, "hasMore"?}`,
 * or one value a line. The command did the narrowing; the answer is capped at 100 values.
 */
export function completionFromOutput(stdout: string, label: string): CompletionValues {
  const trimmed = stdout.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (err) {
      throw new PluginOutputError(`${label} printed invalid JSON: ${(err as Error).message}`);
    }
    const values = Array.isArray(parsed) ? parsed : isPlainObject(parsed) ? parsed['values'] : undefined;
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
      throw new PluginOutputError(`${label} printed JSON that is not a list of strings nor {"values": [strings]}`);
    }
    const total = isPlainObject(parsed) && typeof parsed['total'] === 'number' ? parsed['total'] : values.length;
    const hasMore = isPlainObject(parsed) && typeof parsed['hasMore'] === 'boolean' ? parsed['hasMore'] : undefined;
    return boundedCompletion(values as string[], total, hasMore);
  }
  return boundedCompletion(trimmed === '' ? [] : trimmed.split('\n').map((line) => line.trim()).filter(Boolean));
}
