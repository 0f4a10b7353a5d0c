/**
 * Input a plugin asks of the client (contract v1.1 input rounds): elicitation, sampling and roots,
 * the MCP methods that carry them in both revisions, and the checks of a client's answers. Plain
 * data and pure functions: the executor parses the plugin's side, the app delivers the requests.
 */
import { isPlainObject } from './jsonrpc';

/** What a plugin may ask for; each is also the client capability that answers it. */
export const INPUT_KINDS = ['elicitation', 'sampling', 'roots'] as const;

export type InputKind = (typeof INPUT_KINDS)[number];

/** The MCP request (2025: sent to the client; 2026-07-28: an entry of `inputRequests`) of each kind. */
export const INPUT_METHODS: Readonly<Record<InputKind, string>> = {
  elicitation: 'elicitation/create',
  sampling: 'sampling/createMessage',
  roots: 'roots/list',
};

/** One request of a round, as the plugin gave it: its kind and the MCP request's params. */
export interface InputRequest {
  kind: InputKind;
  params: Record<string, unknown>;
}

/** A plugin run ended asking for input: the requests by key, and the state it wants back. */
export interface InputRequired {
  requests: Record<string, InputRequest>;
  /** Any JSON; null when the plugin gave none. */
  state: unknown;
}

/** What a re-run of the plugin gets on stdin. */
export interface InputAnswers {
  responses: Record<string, unknown>;
  state: unknown;
}

/** Keys of a round's requests (the plugin's names for them). */
export const INPUT_KEY_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The most requests one round may carry. */
export const MAX_INPUT_REQUESTS = 16;

export function isInputKind(value: string): value is InputKind {
  return (INPUT_KINDS as readonly string[]).includes(value);
}

/** Whether a client declared the capability of this kind (an object, even an empty one). */
function declares(capabilities: Record<string, unknown> | undefined, kind: InputKind): boolean {
  return isPlainObject(capabilities?.[kind]);
}

/** Whether a client declared any capability the server may send it requests for (elicitation, sampling, roots). */
export function answersInputRequests(capabilities: Record<string, unknown> | undefined): boolean {
  return INPUT_KINDS.some((kind) => declares(capabilities, kind));
}

/** The kinds a round needs that the client's declared capabilities lack, in the order asked. */
export function missingCapabilities(requests: Record<string, InputRequest>, capabilities: Record<string, unknown> | undefined): InputKind[] {
  const missing: InputKind[] = [];
  for (const { kind } of Object.values(requests)) {
    if (!declares(capabilities, kind) && !missing.includes(kind)) missing.push(kind);
  }
  return missing;
}

/** `{"sampling": {}}`-style object naming capabilities (MissingRequiredClientCapabilityError data). */
export function capabilitiesObject(kinds: readonly InputKind[]): Record<string, Record<string, never>> {
  return Object.fromEntries(kinds.map((kind) => [kind, {}]));
}

/**
 * Why a client's answer to a request of this kind is not one (undefined when it is): an ElicitResult
 * has an action of accept, decline or cancel; a CreateMessageResult a role and content; a
 * ListRootsResult an array of roots.
 */
export function inputResponseProblem(kind: InputKind, value: unknown): string | undefined {
  if (!isPlainObject(value)) return `must be an object (the ${RESULT_NAMES[kind]} of ${INPUT_METHODS[kind]})`;
  switch (kind) {
    case 'elicitation': {
      const action = value['action'];
      if (action !== 'accept' && action !== 'decline' && action !== 'cancel') return 'is an ElicitResult: its "action" must be "accept", "decline" or "cancel"';
      if (value['content'] !== undefined && !isPlainObject(value['content'])) return 'is an ElicitResult: its "content" must be an object';
      return undefined;
    }
    case 'sampling':
      if (typeof value['role'] !== 'string' || (!isPlainObject(value['content']) && !Array.isArray(value['content']))) {
        return 'is a CreateMessageResult: it needs "role" and "content"';
      }
      return undefined;
    case 'roots':
      if (!Array.isArray(value['roots']) || !value['roots'].every((root) => isPlainObject(root) && typeof root['uri'] === 'string')) {
        return 'is a ListRootsResult: "roots" must be an array of {"uri": ...}';
      }
      return undefined;
  }
}

const RESULT_NAMES: Readonly<Record<InputKind, string>> = {
  elicitation: 'ElicitResult',
  sampling: 'CreateMessageResult',
  roots: 'ListRootsResult',
};
