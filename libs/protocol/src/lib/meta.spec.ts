import { progressTokenOf } from './meta';

describe('progressTokenOf', () => {
  it('returns a string or number token', () => {
    expect(progressTokenOf({ _meta: { progressToken: 'abc' } })).toBe('abc');
    expect(progressTokenOf({ _meta: { progressToken: 0 } })).toBe(0);
  });
  it.each([
    ['no params', undefined],
    ['no _meta', { name: 'x' }],
    ['a _meta that is not an object', { _meta: 'token' }],
    ['a null token', { _meta: { progressToken: null } }],
    ['an object token', { _meta: { progressToken: { id: 1 } } }],
  ])('returns undefined for %s', (_name, params) => {
    expect(progressTokenOf(params as Record<string, unknown> | undefined)).toBeUndefined();
  });
});
