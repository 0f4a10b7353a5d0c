import type { JsonRpcMessage, JsonRpcResponse } from '@sanctum/protocol';
import { ClientRequestEnded, Session } from './session';
import type { SessionPeer } from './session';

/** Requests the server sends the client (elicitation, sampling, roots) and their answers. */
describe('Session requests to the client', () => {
  let session: Session;
  let sent: Array<{ message: JsonRpcMessage; related: unknown }>;

  beforeEach(() => {
    session = new Session('s-1', 'streamable-http');
    sent = [];
    session.outgoing.subscribe(({ message, relatedRequestId }) => sent.push({ message, related: relatedRequestId }));
  });

  const lastRequestId = (): string => {
    const request = sent.map((s) => s.message).reverse().find((m) => 'method' in m && 'id' in m);
    if (!request || !('id' in request) || typeof request.id !== 'string') throw new Error('no request was sent');
    return request.id;
  };

  it('sends the request related to the call and resolves with the result the client answers', async () => {
    const answer = session.request('elicitation/create', { message: 'Sure?' }, { relatedRequestId: 7 });
    expect(sent).toEqual([{ message: { jsonrpc: '2.0', id: expect.stringMatching(/^srv-/), method: 'elicitation/create', params: { message: 'Sure?' } }, related: 7 }]);
    expect(session.pendingClientRequests).toBe(1);
    expect(session.receive({ jsonrpc: '2.0', id: lastRequestId(), result: { action: 'accept' } })).toBe(true);
    await expect(answer).resolves.toEqual({ result: { action: 'accept' } });
    expect(session.pendingClientRequests).toBe(0);
  });

  it('resolves with the JSON-RPC error the client answers, and ignores a second answer or an unknown id', async () => {
    const answer = session.request('sampling/createMessage', { messages: [] });
    const id = lastRequestId();
    expect(session.receive({ jsonrpc: '2.0', id: 'srv-unknown', result: {} })).toBe(false);
    session.receive({ jsonrpc: '2.0', id, error: { code: -1, message: 'User rejected sampling request' } });
    expect(session.receive({ jsonrpc: '2.0', id, result: {} })).toBe(false);
    await expect(answer).resolves.toEqual({ error: { code: -1, message: 'User rejected sampling request' } });
  });

  it('stops waiting when the call is cancelled and tells the client with notifications/cancelled', async () => {
    const controller = new AbortController();
    const answer = session.request('roots/list', {}, { signal: controller.signal, relatedRequestId: 3 });
    const id = lastRequestId();
    controller.abort(new Error('cancelled by the client'));
    await expect(answer).rejects.toEqual(new ClientRequestEnded('cancelled', 'cancelled by the client'));
    expect(sent.at(-1)).toEqual({ message: { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'cancelled by the client' } }, related: 3 });
    expect(session.pendingClientRequests).toBe(0);
  });

  it('gives up after its timeout', async () => {
    const answer = session.request('roots/list', {}, { timeoutMs: 30 });
    await expect(answer).rejects.toMatchObject({ reason: 'timeout', message: 'no answer from the client within 30 ms' });
    expect(sent.at(-1)?.message).toMatchObject({ method: 'notifications/cancelled' });
  });

  it('ends the wait when the session closes, without writing to the closed session', async () => {
    const signal = session.track(1);
    const answer = session.request('elicitation/create', {}, { signal });
    const before = sent.length;
    session.close('session ended by the client');
    await expect(answer).rejects.toMatchObject({ reason: 'closed' });
    expect(sent.length).toBe(before);
    await expect(session.request('roots/list', {})).rejects.toMatchObject({ reason: 'closed' });
  });

  it('hands a response it did not ask for to the shared store (another instance may wait for it)', () => {
    const relayed: JsonRpcResponse[] = [];
    const peer: SessionPeer = { changed: () => undefined, callStarted: () => undefined, cancelElsewhere: () => undefined, responseElsewhere: (_s, r) => relayed.push(r) };
    session.peer = peer;
    const response: JsonRpcResponse = { jsonrpc: '2.0', id: 'srv-elsewhere', result: { roots: [] } };
    expect(session.receive(response)).toBe(false);
    expect(relayed).toEqual([response]);
    // The store's delivery settles only what this copy sent: it never relays again.
    expect(session.settle(response)).toBe(false);
    expect(relayed).toHaveLength(1);
  });
});
