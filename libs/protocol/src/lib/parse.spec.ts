import { ErrorCode } from './errors';
import { parsePayload, parseValue, MAX_JSON_DEPTH } from './parse';
import { negotiateVersion, LATEST_PROTOCOL_VERSION } from './versions';

describe('parsePayload', () => {
  it('answers invalid JSON with -32700 and a null id', () => {
    const { items } = parsePayload('{"jsonrpc":');
    expect(items).toHaveLength(1);
    const [item] = items;
    expect(item.ok).toBe(false);
    if (!item.ok) {
      expect(item.response.id).toBeNull();
      expect(item.response.error.code).toBe(ErrorCode.ParseError);
      expect(item.response.error.message).toMatch(/not valid JSON/);
    }
  });

  it.each([
    ['a string', '"hello"', /JSON object/],
    ['a wrong jsonrpc version', '{"jsonrpc":"1.0","id":1,"method":"ping"}', /"jsonrpc" must be exactly "2.0"/],
    ['a numeric method', '{"jsonrpc":"2.0","id":1,"method":5}', /"method" must be a non-empty string/],
    ['positional params', '{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}', /"params" must be an object/],
    ['an object id', '{"jsonrpc":"2.0","id":{},"method":"ping"}', /"id" must be a string or an integer/],
    ['neither method nor result', '{"jsonrpc":"2.0","id":1}', /needs "method"/],
    ['an empty batch', '[]', /empty batch/],
  ])('refuses %s with -32600', (_name, text, message) => {
    const { items } = parsePayload(text);
    const [item] = items;
    expect(item.ok).toBe(false);
    if (!item.ok) {
      expect(item.response.error.code).toBe(ErrorCode.InvalidRequest);
      expect(item.response.error.message).toMatch(message);
    }
  });

  it('keeps the id of an invalid request when it is readable', () => {
    const [item] = parsePayload('{"jsonrpc":"1.0","id":"abc","method":"ping"}').items;
    expect(!item.ok && item.response.id).toBe('abc');
  });

  it('accepts requests, notifications and responses', () => {
    const { items } = parsePayload(
      '[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"},{"jsonrpc":"2.0","id":2,"result":{}}]',
    );
    expect(items.map((i) => i.ok)).toEqual([true, true, true]);
  });

  it('marks batches and validates each member on its own', () => {
    const parsed = parsePayload('[{"jsonrpc":"2.0","id":1,"method":"ping"}, 3]');
    expect(parsed.batch).toBe(true);
    expect(parsed.items.map((i) => i.ok)).toEqual([true, false]);
  });

  it('refuses nesting deeper than the limit without recursing', () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH + 5; i++) deep = { a: deep };
    const [item] = parseValue({ jsonrpc: '2.0', id: 1, method: 'ping', params: deep }).items;
    expect(item.ok).toBe(false);
    if (!item.ok) expect(item.response.error.message).toMatch(/nesting deeper/);
  });
});

describe('negotiateVersion', () => {
  it.each(['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'])('echoes supported %s', (v) => {
    expect(negotiateVersion(v)).toBe(v);
  });
  it.each(['1999-01-01', undefined, 42])('answers the latest for %p', (v) => {
    expect(negotiateVersion(v)).toBe(LATEST_PROTOCOL_VERSION);
  });
});
