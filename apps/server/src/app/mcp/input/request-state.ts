import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { RpcError, isInputKind, isPlainObject, parseJsonExact, stringifyExact } from '@sanctum/protocol';
import type { InputRequest } from '@sanctum/protocol';

/** What a round of a 2026-07-28 call is bound to: the request it answers, and who made it. */
export interface RoundBinding {
  /** The method and what it names, e.g. `tools/call devops.deploy` or `resources/read devops://apps/x/history`. */
  target: string;
  /** Digest of the call's arguments (argumentsDigest). */
  args: string;
  /** The caller's principal (API key name, or the keyless principal). */
  principal: string;
}

/** One sealed round: its binding, the plugin's state, the requests it asked, and its number. */
export interface SealedRound extends RoundBinding {
  state: unknown;
  /** The requests still to answer. */
  requests: Record<string, InputRequest>;
  /** Answers already given to requests of this round (a retry that answered only some of them). */
  answered: Record<string, unknown>;
  /** The re-run that will answer the requests (1 for the first). */
  round: number;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const AAD = Buffer.from('sanctum-mcp requestState v1');
const RESTART = 'Call it again without inputResponses and requestState to start over.';

/** A digest of arguments that does not depend on the order of their keys. */
export function argumentsDigest(args: unknown): string {
  return createHash('sha256').update(stringifyExact(canonical(args))).digest('base64url');
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isPlainObject(value)) return Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical(value[key])]));
  return value;
}

/**
 * The `requestState` of protocol revision 2026-07-28 input rounds: the plugin's state and what the
 * round is bound to, sealed with AES-256-GCM under a key derived from MCP_STATE_SECRET. The client
 * can neither read nor alter it; any instance with the same secret opens it, so nothing is kept
 * between rounds. Opening checks integrity, expiry, the caller and the call; each failure is -32602
 * with a message saying which.
 */
export class RequestStateSeal {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'sanctum-mcp', 'requestState v1', 32));
  }

  /** A seal under a random secret (a single instance with no MCP_STATE_SECRET). */
  static generated(ttlMs: number): RequestStateSeal {
    return new RequestStateSeal(randomBytes(32).toString('hex'), ttlMs);
  }

  seal(round: SealedRound): string {
    const body = {
      t: round.target,
      a: round.args,
      k: round.principal,
      s: round.state ?? null,
      q: Object.fromEntries(Object.entries(round.requests).map(([key, request]) => [key, { [request.kind]: request.params }])),
      r: round.round,
      g: round.answered,
      e: this.now() + this.ttlMs,
      // Every seal differs, even of the same round: a retry's state never repeats an earlier one.
      n: randomBytes(8).toString('base64url'),
    };
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(AAD);
    const sealed = Buffer.concat([cipher.update(stringifyExact(body), 'utf8'), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), sealed]).toString('base64url');
  }

  /** The round a requestState carries, checked against the retry that brings it; throws RpcError -32602. */
  open(token: unknown, expected: RoundBinding): SealedRound {
    if (typeof token !== 'string' || token === '') {
      throw RpcError.invalidParams('requestState must be the string an input_required result gave, echoed exactly.');
    }
    const body = this.decrypt(token);
    if (typeof body['e'] !== 'number' || this.now() > body['e']) {
      const ago = typeof body['e'] === 'number' ? ` ${Math.round((this.now() - body['e']) / 1000)} s ago` : '';
      throw RpcError.invalidParams(`requestState expired${ago} (it is valid for MCP_STATE_TTL). ${RESTART}`);
    }
    if (body['k'] !== expected.principal) {
      throw RpcError.invalidParams(`requestState was issued to another principal (API key) and cannot be used by this one. ${RESTART}`);
    }
    if (body['t'] !== expected.target) {
      throw RpcError.invalidParams(`requestState was issued for ${String(body['t'])}, not for ${expected.target}. ${RESTART}`);
    }
    if (body['a'] !== expected.args) {
      throw RpcError.invalidParams(`requestState was issued for other arguments of ${expected.target}: retry with the arguments of the call that got it. ${RESTART}`);
    }
    const requests: Record<string, InputRequest> = {};
    const asked = body['q'];
    if (isPlainObject(asked)) {
      for (const [key, request] of Object.entries(asked)) {
        const kind = isPlainObject(request) ? Object.keys(request)[0] : undefined;
        if (kind !== undefined && isInputKind(kind) && isPlainObject((request as Record<string, unknown>)[kind])) {
          requests[key] = { kind, params: (request as Record<string, Record<string, unknown>>)[kind] };
        }
      }
    }
    const answered = isPlainObject(body['g']) ? body['g'] : {};
    return { ...expected, state: body['s'] ?? null, requests, answered, round: typeof body['r'] === 'number' ? body['r'] : 1 };
  }

  private decrypt(token: string): Record<string, unknown> {
    const tampered = (): RpcError =>
      RpcError.invalidParams(
        `requestState failed its integrity check: it was altered, or not issued by this gateway (nor by an instance sharing its MCP_STATE_SECRET). ${RESTART}`,
      );
    if (!/^[A-Za-z0-9_-]+$/.test(token)) throw tampered();
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length < 1 + IV_BYTES + TAG_BYTES + 1 || bytes[0] !== VERSION) throw tampered();
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(1, 1 + IV_BYTES));
      decipher.setAAD(AAD);
      decipher.setAuthTag(bytes.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
      const plain = Buffer.concat([decipher.update(bytes.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      const body = parseJsonExact(plain);
      if (!isPlainObject(body)) throw tampered();
      return body;
    } catch (err) {
      if (err instanceof RpcError) throw err;
      throw tampered();
    }
  }
}
