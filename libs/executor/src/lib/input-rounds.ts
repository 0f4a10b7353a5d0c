import { INPUT_KEY_PATTERN, INPUT_KINDS, MAX_INPUT_REQUESTS, isInputKind, isPlainObject, parseJsonExact, stringifyExact } from '@sanctum/protocol';
import type { InputAnswers, InputRequest, InputRequired } from '@sanctum/protocol';
import type { RunResult } from './runner';

/** How many times a call may re-run its plugin with answers (MCP_INPUT_ROUNDS). */
export const DEFAULT_INPUT_ROUNDS = 8;


/**
 * Whether a finished run asked for input: `{"input_required": {"requests": {...}, "state": ...}}`
 * alone on stdout with exit 0. Undefined when it did not ask; `{problem}` when it asked in a way the
 * gateway cannot act on (the call fails as a plugin_error naming it).
 */
export function readInputRequired(run: RunResult): InputRequired | { problem: string } | undefined {
  if (run.exitCode !== 0 || run.timedOut || run.cancelled || run.outputLimit || run.stdoutTruncated) return undefined;
  const text = run.stdout.trim();
  // Cheap first: only an object mentioning input_required is parsed here (a result is mapped later).
  if (!text.startsWith('{') || !text.includes('"input_required"')) return undefined;
  let parsed: unknown;
  try {
    parsed = parseJsonExact(text);
  } catch {
    // Text that merely mentions it stays text; output that starts asking must be valid JSON.
    return /^\{\s*"input_required"/.test(text) ? { problem: 'its input_required output is not valid JSON' } : undefined;
  }
  if (!isPlainObject(parsed) || !('input_required' in parsed)) return undefined;
  const extra = Object.keys(parsed).filter((key) => key !== 'input_required');
  if (extra.length > 0) return { problem: `input_required must be the only field of its output (also found: ${extra.join(', ')})` };
  const asked = parsed['input_required'];
  if (!isPlainObject(asked)) return { problem: 'input_required must be an object: {"requests": {...}, "state": ...}' };
  const unknown = Object.keys(asked).filter((key) => key !== 'requests' && key !== 'state');
  if (unknown.length > 0) return { problem: `input_required has unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (fields: requests, state)` };
  const requests = asked['requests'];
  if (!isPlainObject(requests) || Object.keys(requests).length === 0) {
    return { problem: 'input_required.requests must be an object with at least one request, e.g. {"confirm": {"elicitation": {...}}}' };
  }
  const keys = Object.keys(requests);
  if (keys.length > MAX_INPUT_REQUESTS) return { problem: `input_required asks ${keys.length} requests at once; at most ${MAX_INPUT_REQUESTS} are allowed` };
  const parsedRequests: Record<string, InputRequest> = {};
  for (const key of keys) {
    if (!INPUT_KEY_PATTERN.test(key)) return { problem: `input_required request key ${stringifyExact(key)} must be 1 to 64 of A-Z a-z 0-9 _ . -` };
    const request = requests[key];
    const kinds = isPlainObject(request) ? Object.keys(request) : [];
    if (kinds.length !== 1 || !isInputKind(kinds[0])) {
      return { problem: `input_required request "${key}" must have exactly one of ${INPUT_KINDS.join(', ')}, e.g. {"elicitation": {"message": ..., "requestedSchema": ...}}` };
    }
    const kind = kinds[0];
    const params = (request as Record<string, unknown>)[kind];
    if (!isPlainObject(params)) return { problem: `input_required request "${key}": "${kind}" must be an object (the params of the request)` };
    parsedRequests[key] = { kind, params };
  }
  return { requests: parsedRequests, state: asked['state'] ?? null };
}

/** The document a re-run reads on stdin. */
export function inputDocument(answers: InputAnswers): string {
  return `${stringifyExact({ responses: answers.responses, state: answers.state ?? null })}\n`;
}
