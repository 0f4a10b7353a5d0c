import { responseModeFor } from './response-mode';

describe('responseModeFor', () => {
  const request = (params?: Record<string, unknown>) => ({ jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params });
  it('answers with JSON by default', () => {
    expect(responseModeFor([request()])).toBe('json');
    expect(responseModeFor([request({ name: 'x', _meta: {} })])).toBe('json');
    expect(responseModeFor([request({ _meta: { progressToken: null } })])).toBe('json');
  });
  it('answers with an SSE stream when a request asks for progress', () => {
    expect(responseModeFor([request(), request({ _meta: { progressToken: 'abc' } })])).toBe('sse');
    expect(responseModeFor([request({ _meta: { progressToken: 3 } })])).toBe('sse');
  });
});
