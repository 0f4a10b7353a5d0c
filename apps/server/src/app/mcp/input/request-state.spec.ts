import { ErrorCode, RpcError } from '@sanctum/protocol';
import { RequestStateSeal, argumentsDigest } from './request-state';
import type { RoundBinding, SealedRound } from './request-state';

const SECRET = 'a-test-secret-of-at-least-32-characters';
const binding: RoundBinding = { target: 'tools/call devops.deploy', args: argumentsDigest({ app: 'web', version: '2.0.0' }), principal: 'ops' };
const round: SealedRound = { ...binding, state: { confirm: 'deploy', big: 2n ** 64n }, requests: { confirm: { kind: 'elicitation', params: { message: 'Deploy?' } } }, answered: { earlier: { action: 'accept', content: { n: 1 } } }, round: 1 };

/** The RpcError `open` throws (a -32602 whose message says which check failed). */
function refusal(open: () => unknown): RpcError {
  try {
    open();
  } catch (err) {
    if (err instanceof RpcError) return err;
    throw err;
  }
  throw new Error('the requestState was accepted');
}

describe('RequestStateSeal', () => {
  it('opens what it sealed: the state (exact numbers), the requests and the round', () => {
    const seal = new RequestStateSeal(SECRET, 60_000);
    expect(seal.open(seal.seal(round), binding)).toEqual(round);
  });

  it('is opened by any instance with the same secret, never by one with another', () => {
    const token = new RequestStateSeal(SECRET, 60_000).seal(round);
    expect(new RequestStateSeal(SECRET, 60_000).open(token, binding).state).toEqual(round.state);
    expect(refusal(() => new RequestStateSeal(`${SECRET}!`, 60_000).open(token, binding)).message).toContain('failed its integrity check');
    expect(refusal(() => RequestStateSeal.generated(60_000).open(token, binding)).code).toBe(ErrorCode.InvalidParams);
  });

  it('hides the plugin state from the client and differs every time, even for the same round', () => {
    const seal = new RequestStateSeal(SECRET, 60_000);
    const first = seal.seal(round);
    expect(Buffer.from(first, 'base64url').toString('latin1')).not.toContain('deploy');
    expect(seal.seal(round)).not.toBe(first);
  });

  it.each([
    ['one character changed', (t: string) => `${t.slice(0, 20)}${t[20] === 'A' ? 'B' : 'A'}${t.slice(21)}`],
    ['a suffix', (t: string) => `${t}-TAMPERED`],
    ['cut short', (t: string) => t.slice(0, 30)],
    ['not base64url', () => 'not a state!'],
  ])('refuses a state %s as failing its integrity check', (_how, tamper) => {
    const seal = new RequestStateSeal(SECRET, 60_000);
    const error = refusal(() => seal.open(tamper(seal.seal(round)), binding));
    expect(error.code).toBe(ErrorCode.InvalidParams);
    expect(error.message).toMatch(/^Invalid params: requestState failed its integrity check: .* Call it again without inputResponses and requestState to start over\.$/);
  });

  it('refuses an expired state, saying so', () => {
    let now = 1_000_000;
    const seal = new RequestStateSeal(SECRET, 10_000, () => now);
    const token = seal.seal(round);
    now += 10_000;
    expect(seal.open(token, binding).round).toBe(1);
    now += 5_001;
    expect(refusal(() => seal.open(token, binding)).message).toMatch(/^Invalid params: requestState expired 5 s ago \(it is valid for MCP_STATE_TTL\)/);
  });

  it('refuses a state brought by another principal, for another tool or other arguments', () => {
    const seal = new RequestStateSeal(SECRET, 60_000);
    const token = seal.seal(round);
    expect(refusal(() => seal.open(token, { ...binding, principal: 'intruder' })).message).toContain('issued to another principal');
    expect(refusal(() => seal.open(token, { ...binding, target: 'tools/call devops.rollback' })).message).toContain(
      'issued for tools/call devops.deploy, not for tools/call devops.rollback',
    );
    expect(refusal(() => seal.open(token, { ...binding, args: argumentsDigest({ app: 'web', version: '6.6.6' }) })).message).toContain('other arguments');
  });

  it('refuses a requestState that is not a string', () => {
    expect(refusal(() => new RequestStateSeal(SECRET, 60_000).open({ forged: true }, binding)).message).toContain('must be the string');
  });
});

describe('argumentsDigest', () => {
  it('does not depend on the order of keys, at any depth, but on every value', () => {
    expect(argumentsDigest({ a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(argumentsDigest({ b: { c: [1, { e: 3, d: 2 }] }, a: 1 }));
    expect(argumentsDigest({ a: 1 })).not.toBe(argumentsDigest({ a: 2 }));
    expect(argumentsDigest({ list: [1, 2] })).not.toBe(argumentsDigest({ list: [2, 1] }));
  });
});
