// The key a request presents, as clients really send it: Letta Code sends its credential header
// twice with the same value, which Node hands over joined by a comma ("Bearer k, Bearer k"). The
// same key repeated is that key; different keys are refused, never guessed.
import { ApiKeyVerifier, presentedKey } from './api-keys';

describe('presentedKey', () => {
  it.each([
    ['a Bearer key', { authorization: 'Bearer abc-123' }, { key: 'abc-123' }],
    ['the scheme in any case, spaces around', { authorization: '  bearer   abc-123 ' }, { key: 'abc-123' }],
    ['the same Bearer key twice (a repeated header)', { authorization: 'Bearer abc-123, Bearer abc-123' }, { key: 'abc-123' }],
    ['two different Bearer keys', { authorization: 'Bearer abc-123, Bearer xyz-789' }, { several: 'Authorization' }],
    ['X-API-Key', { 'x-api-key': ' abc-123 ' }, { key: 'abc-123' }],
    ['the same X-API-Key twice', { 'x-api-key': 'abc-123, abc-123' }, { key: 'abc-123' }],
    ['two different X-API-Keys', { 'x-api-key': 'abc-123, xyz-789' }, { several: 'X-API-Key' }],
    ['Authorization before X-API-Key', { authorization: 'Bearer abc-123', 'x-api-key': 'xyz-789' }, { key: 'abc-123' }],
    ['a Basic Authorization falls back to X-API-Key', { authorization: 'Basic dXNlcjpwdw==', 'x-api-key': 'abc-123' }, { key: 'abc-123' }],
  ])('%s', (_name, headers, expected) => {
    expect(presentedKey(headers)).toEqual(expected);
  });

  it.each([
    ['no header', {}],
    ['Basic only', { authorization: 'Basic dXNlcjpwdw==' }],
    ['an empty X-API-Key', { 'x-api-key': ' , ' }],
    ['Bearer without a key', { authorization: 'Bearer ' }],
  ])('%s: nothing presented', (_name, headers) => {
    expect(presentedKey(headers)).toBeUndefined();
  });
});

describe('ApiKeyVerifier', () => {
  const verifier = new ApiKeyVerifier([
    { name: 'alpha', key: 'alpha-key-0123456789' },
    { name: 'bravo', key: 'bravo-key-0123456789' },
  ]);

  it('names the key that matches, and nothing for another value', () => {
    expect(verifier.verify('bravo-key-0123456789')).toBe('bravo');
    expect(verifier.verify('bravo-key-012345678')).toBeUndefined();
    expect(verifier.enabled).toBe(true);
    expect(new ApiKeyVerifier([]).enabled).toBe(false);
  });
});
