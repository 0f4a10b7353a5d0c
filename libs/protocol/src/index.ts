// JSON-RPC 2.0 envelopes and their guards.
export {
  JSONRPC_VERSION,
  failure,
  isFailure,
  isNotification,
  isPlainObject,
  isRequest,
  isRequestId,
  isResponse,
  success,
} from './lib/jsonrpc';
export type {
  JsonRpcErrorObject,
  JsonRpcFailure,
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
  JsonRpcSuccess,
  RequestId,
} from './lib/jsonrpc';

// Error codes and the one error class, with messages that say how to fix the problem.
export { ErrorCode, RpcError } from './lib/errors';
export type { ErrorCodeValue } from './lib/errors';

// Decoding a body or a stdio line into messages, and the one way of writing JSON that is sent
// (numbers exact: request ids echoed as sent, integers beyond 2^53 as bigints).
export { MAX_JSON_DEPTH, batchLength, batchTooLarge, boundBatchAnswer, parseJsonExact, parsePayload, parseValue } from './lib/parse';
export { stringifyExact } from './lib/exact-json';
export type { ParseOptions, ParsedItem, ParsedPayload } from './lib/parse';

// MCP shapes, method names, logging levels and tool errors (every revision).
export { LOGGING_LEVELS, Method, ToolErrorCode, isLoggingLevel, loggingLevelPasses, toolError } from './lib/mcp';
export type {
  CallToolResult,
  CompleteResult,
  ContentBlock,
  GetPromptResult,
  Implementation,
  InitializeResult,
  JsonSchema,
  LoggingLevel,
  ObjectSchema,
  Prompt,
  PromptMessage,
  ReadResourceResult,
  Resource,
  ResourceContents,
  ResourceTemplate,
  ServerCapabilities,
  Tool,
  ToolAnnotations,
  ToolErrorCodeValue,
} from './lib/mcp';
export { progressTokenOf } from './lib/meta';

// Input a plugin asks of the client (elicitation, sampling, roots) and the checks of the answers.
export {
  INPUT_KEY_PATTERN,
  INPUT_KINDS,
  INPUT_METHODS,
  MAX_INPUT_REQUESTS,
  answersInputRequests,
  capabilitiesObject,
  inputResponseProblem,
  isInputKind,
  missingCapabilities,
} from './lib/input';
export type { InputAnswers, InputKind, InputRequest, InputRequired } from './lib/input';
export type { ProgressToken } from './lib/meta';

// The 2025 revisions and 2024-11-05 (session-based): versions and their negotiation.
export {
  HTTP_SSE_PROTOCOL_VERSION,
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  isSupportedVersion,
  negotiateVersion,
} from './lib/versions';
export type { ProtocolVersion } from './lib/versions';

// Protocol revision 2026-07-28 (stateless), and the one rule that tells the revisions apart.
export {
  ALL_PROTOCOL_VERSIONS,
  MetaKey,
  STATELESS_PROTOCOL_VERSIONS,
  StatelessErrorCode,
  StatelessMethod,
  checkParamHeaders,
  checkStatelessRequest,
  isStatelessMessage,
  isStatelessVersion,
  missingEnvelope,
  revisionOf,
  stampStatelessResult,
} from './lib/stateless';
export type { HeaderLookup, RevisionKind, StatelessEnvelope, StatelessProtocolVersion, StatelessResultOptions } from './lib/stateless';

// The plugin contract's command descriptions and naming rules.
export { MAX_COMPLETION_VALUES, PLUGIN_ENTRY_FILES, PORTABLE_TOOL_NAME_PATTERN, TOOL_NAME_PATTERN, resourceFieldsOf } from './lib/plugin';
export type {
  CommandSpec,
  CompletionSpec,
  ContentSource,
  ParameterSpec,
  ParameterType,
  PromptArgumentSpec,
  PromptMessageTemplate,
  PromptSpec,
  ResourceFields,
  ResourceSpec,
  ResourceTemplateSpec,
} from './lib/plugin';
