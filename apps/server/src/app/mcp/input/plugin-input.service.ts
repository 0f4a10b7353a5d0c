import { Inject, Injectable } from '@nestjs/common';
import type { LoggerService } from '@nestjs/common';
import { ExecutorService } from '@sanctum/executor';
import type { ExecuteOptions, InputObtainer, InteractiveOutcome, PluginCommandTarget, ToolArguments } from '@sanctum/executor';
import {
  ErrorCode,
  INPUT_METHODS,
  RpcError,
  StatelessErrorCode,
  ToolErrorCode,
  capabilitiesObject,
  inputResponseProblem,
  isPlainObject,
  missingCapabilities,
  toolError,
} from '@sanctum/protocol';
import type { InputAnswers, InputRequest, InputRequired, RequestId } from '@sanctum/protocol';
import { ClientRequestEnded } from '@sanctum/sessions';
import type { Session } from '@sanctum/sessions';
import { DISPATCHER_CONFIG } from '../../config/config.slices';
import type { DispatcherConfig } from '../../config/config.slices';
import { APP_LOGGER } from '../../logging/logger';
import { RequestStateSeal, argumentsDigest } from './request-state';
import type { RoundBinding } from './request-state';

/** The request a plugin command runs for, as input rounds need to know it. */
export interface InputCall {
  session: Session;
  /**
   * A request of protocol revision 2026-07-28 (input rounds answer input_required). False for the
   * 2025 revisions, and for the requests of no revision's session (a POST /message without a
   * session, a console try-it): those are asked nothing they did not declare, so nothing at all.
   */
  stateless: boolean;
  /** The client's request id: 2025 requests to the client are related to it. */
  requestId: RequestId;
  /** The request's params (2026-07-28 retries carry inputResponses and requestState there). */
  params: Record<string, unknown>;
  /** The method and what it names (`tools/call devops.deploy`): a requestState is bound to it. */
  target: string;
  /** `plugin.command`, for log lines and messages. */
  label: string;
}

/**
 * The answer of a 2026-07-28 request whose plugin asked for input: an InputRequiredResult. Thrown
 * through content handling (prompts/get, resources/read) and returned by tool calls; the
 * dispatcher answers it as the request's result.
 */
export class InputRequiredAnswer extends Error {
  constructor(readonly body: Record<string, unknown>) {
    super('input required');
    this.name = 'InputRequiredAnswer';
  }
}

/**
 * Runs plugin commands that may ask the client for input (contract v1.1 input rounds), in both
 * protocol revisions. 2025 revisions: the requests go to the client on the session, related to the
 * call (on its own SSE response when it has one); the answers come back and the plugin runs again.
 * 2026-07-28: the round goes back as an InputRequiredResult with a sealed requestState, and the
 * client's retry (any instance) continues it. Either way a client is only asked for what it declared.
 */
@Injectable()
export class PluginInput {
  constructor(
    private readonly executor: ExecutorService,
    private readonly seal: RequestStateSeal,
    @Inject(DISPATCHER_CONFIG) private readonly config: DispatcherConfig,
    @Inject(APP_LOGGER) private readonly logger: LoggerService,
  ) {}

  /** Run a command for `call`; an InputRequiredAnswer when a 2026-07-28 round goes back to the client. */
  async run(target: PluginCommandTarget, args: ToolArguments, options: ExecuteOptions, call: InputCall): Promise<InteractiveOutcome | InputRequiredAnswer> {
    const capabilities = call.session.clientCapabilities ?? {};
    const env = { ...options.env, MCP_CLIENT_CAPABILITIES: JSON.stringify(capabilities) };
    const base = { ...options, env, maxRounds: this.config.inputRounds };
    if (!call.stateless) return this.executor.executeInteractive(target, args, base, this.fromSession(call, target, options.signal));

    const binding: RoundBinding = { target: call.target, args: argumentsDigest(args), principal: call.session.owner ?? '' };
    const retry = this.retryOf(call, binding);
    if (retry instanceof InputRequiredAnswer) return retry;
    const outcome = await this.executor.executeInteractive(target, args, { ...base, input: retry?.input, round: retry?.round ?? 0 }, async (asked, round) => {
      const missing = missingCapabilities(asked.requests, capabilities);
      if (missing.length > 0) {
        throw new RpcError(
          StatelessErrorCode.MissingRequiredClientCapability,
          `${call.label} needs the client capabilit${missing.length > 1 ? 'ies' : 'y'} ${missing.join(', ')}, which this request's _meta (io.modelcontextprotocol/clientCapabilities) does not declare.`,
          { requiredCapabilities: capabilitiesObject(missing) },
        );
      }
      this.logRound(call, round, Object.keys(asked.requests));
      return 'suspend';
    });
    if (!outcome.suspended) return outcome;
    return this.answer(outcome.suspended.asked.requests, outcome.suspended.asked.state, outcome.suspended.round, binding);
  }

  /** 2025 revisions: obtain a round's answers by asking the client on the session. */
  private fromSession(call: InputCall, target: PluginCommandTarget, signal: AbortSignal | undefined): InputObtainer {
    const { session, label } = call;
    const timeoutMs = target.timeoutMs ?? this.config.pluginTimeoutMs;
    return async (asked: InputRequired, round: number) => {
      const missing = missingCapabilities(asked.requests, session.clientCapabilities);
      if (missing.length > 0) {
        const methods = missing.map((kind) => `${kind} (${INPUT_METHODS[kind]})`).join(', ');
        return {
          result: toolError(
            ToolErrorCode.MissingCapability,
            `${label} needs the client capabilit${missing.length > 1 ? 'ies' : 'y'} ${methods}, which this client did not declare in initialize; it was not asked and the call ended.`,
          ),
        };
      }
      const keys = Object.keys(asked.requests);
      this.logRound(call, round, keys);
      try {
        const answers = await Promise.all(
          keys.map((key) => {
            const request = asked.requests[key];
            return session.request(INPUT_METHODS[request.kind], request.params, { relatedRequestId: call.requestId, signal, timeoutMs });
          }),
        );
        const responses: Record<string, unknown> = {};
        keys.forEach((key, i) => {
          const answer = answers[i];
          const problem = 'result' in answer ? inputResponseProblem(asked.requests[key].kind, answer.result) : undefined;
          // The plugin gets what the client answered, or an error in its place: never a malformed answer.
          if ('error' in answer) responses[key] = { error: answer.error };
          else if (problem !== undefined) responses[key] = { error: { code: ErrorCode.InvalidParams, message: `the client's answer ${problem}` } };
          else responses[key] = answer.result;
        });
        return { responses };
      } catch (err) {
        if (!(err instanceof ClientRequestEnded)) throw err;
        const code = err.reason === 'timeout' ? ToolErrorCode.Timeout : ToolErrorCode.Cancelled;
        return { result: toolError(code, `${label} waited for the client's answer and ${err.reason === 'timeout' ? 'got none' : 'was cancelled'}: ${err.message}; the plugin was not run again.`) };
      }
    };
  }

  /**
   * A 2026-07-28 retry's inputResponses and requestState: the answers to run with, or a fresh
   * InputRequiredResult asking what is still missing; undefined for a first call. Throws -32602.
   */
  private retryOf(call: InputCall, binding: RoundBinding): { input: InputAnswers; round: number } | InputRequiredAnswer | undefined {
    const { params } = call;
    const hasResponses = 'inputResponses' in params;
    const token = params['requestState'];
    if (!hasResponses && token === undefined) return undefined;
    const given = params['inputResponses'];
    if (!isPlainObject(given)) {
      throw RpcError.invalidParams('inputResponses must be an object mapping each key of the input_required result\'s inputRequests to its answer.');
    }
    if (token === undefined) {
      // Answers given before any question: the plugin gets them, with no state of its own.
      for (const [key, value] of Object.entries(given)) {
        if (!isPlainObject(value)) throw RpcError.invalidParams(`inputResponses.${key} must be an object (an ElicitResult, CreateMessageResult or ListRootsResult).`);
      }
      return { input: { responses: given, state: null }, round: 1 };
    }
    const sealed = this.seal.open(token, binding);
    // The answers an earlier retry of this round gave, then this retry's.
    const responses: Record<string, unknown> = { ...sealed.answered };
    const missing: Record<string, InputRequest> = {};
    for (const [key, request] of Object.entries(sealed.requests)) {
      if (!(key in given)) {
        missing[key] = request;
        continue;
      }
      const problem = inputResponseProblem(request.kind, given[key]);
      if (problem !== undefined) throw RpcError.invalidParams(`inputResponses.${key} ${problem}.`);
      responses[key] = given[key];
    }
    // Keys nobody asked for are ignored; a key asked and not answered is asked again.
    if (Object.keys(missing).length > 0) return this.answer(missing, sealed.state, sealed.round, binding, responses);
    return { input: { responses, state: sealed.state }, round: sealed.round };
  }

  private answer(requests: Record<string, InputRequest>, state: unknown, round: number, binding: RoundBinding, answered: Record<string, unknown> = {}): InputRequiredAnswer {
    const inputRequests = Object.fromEntries(
      Object.entries(requests).map(([key, request]) => [key, { method: INPUT_METHODS[request.kind], params: request.params }]),
    );
    return new InputRequiredAnswer({
      resultType: 'input_required',
      inputRequests,
      requestState: this.seal.seal({ ...binding, state, requests, answered, round }),
    });
  }

  private logRound(call: InputCall, round: number, keys: string[]): void {
    this.logger.log(
      { message: `Input required: ${call.label} (${call.session.id}) round ${round}: ${keys.join(', ')}`, sessionId: call.session.id, round },
      'Tools',
    );
  }
}
