import {
  PluginOutputError,
  completeFromList,
  completionFromOutput,
  isTextMimeType,
  promptFromOutput,
  resourceContentsFromFile,
  resourceContentsFromOutput,
} from './content';

const read = { uri: 'demo://x', label: 'demo.read' };

describe('resourceContentsFromOutput', () => {
  it('serves text stdout as is, with the declared mime type', () => {
    expect(resourceContentsFromOutput('line 1\nline 2\n', { ...read, mimeType: 'text/plain' })).toEqual([
      { uri: 'demo://x', mimeType: 'text/plain', text: 'line 1\nline 2\n' },
    ]);
  });

  it('serves base64 stdout as blob for a binary mime type, whitespace removed', () => {
    expect(resourceContentsFromOutput('iVBORw0K\nGgo=\n', { ...read, mimeType: 'image/png' })).toEqual([{ uri: 'demo://x', mimeType: 'image/png', blob: 'iVBORw0KGgo=' }]);
  });

  it('refuses binary content that is not base64 instead of serving garbage', () => {
    expect(() => resourceContentsFromOutput('not base64!', { ...read, mimeType: 'image/png' })).toThrow(PluginOutputError);
  });

  it('takes {"contents": [...]} as several parts, the uri and mime type defaulting to the request', () => {
    const out = JSON.stringify({ contents: [{ text: 'a' }, { uri: 'demo://y', mimeType: 'application/octet-stream', blob: 'AAEC' }] });
    expect(resourceContentsFromOutput(out, { ...read, mimeType: 'text/markdown' })).toEqual([
      { uri: 'demo://x', mimeType: 'text/markdown', text: 'a' },
      { uri: 'demo://y', mimeType: 'application/octet-stream', blob: 'AAEC' },
    ]);
  });

  it.each([
    ['an empty contents list', '{"contents": []}', 'at least one part'],
    ['a part with neither text nor blob', '{"contents": [{"uri": "demo://x"}]}', 'without "text" or "blob"'],
  ])('refuses %s (never an empty result)', (_name, out, message) => {
    expect(() => resourceContentsFromOutput(out, read)).toThrow(message);
  });

  it('serves JSON that is not a contents object as the text it is', () => {
    expect(resourceContentsFromOutput('{"app": "api"}', { ...read, mimeType: 'application/json' })).toEqual([
      { uri: 'demo://x', mimeType: 'application/json', text: '{"app": "api"}' },
    ]);
  });
});

describe('resourceContentsFromFile', () => {
  it('gives UTF-8 without a declared type as text/plain, and other bytes as an octet-stream blob', () => {
    expect(resourceContentsFromFile(Buffer.from('héllo'), { uri: 'f://a' })).toEqual([{ uri: 'f://a', mimeType: 'text/plain', text: 'héllo' }]);
    expect(resourceContentsFromFile(Buffer.from([0xff, 0xfe, 0x00]), { uri: 'f://b' })).toEqual([{ uri: 'f://b', mimeType: 'application/octet-stream', blob: '//4A' }]);
  });

  it('gives a binary mime type as blob even when the bytes happen to be UTF-8', () => {
    expect(resourceContentsFromFile(Buffer.from('abc'), { uri: 'f://c', mimeType: 'image/png' })).toEqual([{ uri: 'f://c', mimeType: 'image/png', blob: 'YWJj' }]);
  });
});

describe('isTextMimeType', () => {
  it.each([
    ['text/plain', true],
    ['application/json', true],
    ['application/vnd.api+json', true],
    ['text/html; charset=utf-8', true],
    ['image/png', false],
    ['application/octet-stream', false],
  ])('%s is text: %s', (type, expected) => {
    expect(isTextMimeType(type)).toBe(expected);
  });
});

describe('promptFromOutput', () => {
  it('makes plain text one user message', () => {
    expect(promptFromOutput('Draft the notes.\n', 'p')).toEqual({ messages: [{ role: 'user', content: { type: 'text', text: 'Draft the notes.' } }] });
  });

  it('checks {"messages": [...]} with image and embedded resource content', () => {
    const out = {
      description: 'd',
      messages: [
        { role: 'user', content: { type: 'image', data: 'AAAA', mimeType: 'image/png' } },
        { role: 'assistant', content: { type: 'resource', resource: { uri: 'x://1', text: 't' } } },
      ],
    };
    expect(promptFromOutput(JSON.stringify(out), 'p')).toEqual(out);
  });

  it.each([
    ['nothing', '', 'printed nothing'],
    ['a bad role', '{"messages": [{"role": "system", "content": {"type": "text", "text": "x"}}]}', 'messages[0].role "system"'],
    ['an image without data', '{"messages": [{"role": "user", "content": {"type": "image", "mimeType": "image/png"}}]}', 'without data'],
    ['an empty message list', '{"messages": []}', 'at least one message'],
  ])('refuses %s with a message saying what to print', (_name, out, message) => {
    expect(() => promptFromOutput(out, 'p')).toThrow(message);
  });
});

describe('completions', () => {
  it('narrows a static list by prefix, case-insensitively', () => {
    expect(completeFromList(['api', 'API-gw', 'web'], 'ap')).toEqual({ values: ['api', 'API-gw'], total: 2 });
  });

  it('caps at 100 values with total and hasMore', () => {
    const values = Array.from({ length: 150 }, (_v, i) => `v${i}`);
    const completion = completeFromList(values, '');
    expect(completion.values).toHaveLength(100);
    expect(completion).toMatchObject({ total: 150, hasMore: true });
  });

  it('reads a command output as JSON list, values object or lines', () => {
    expect(completionFromOutput('["a","b"]', 'c')).toEqual({ values: ['a', 'b'], total: 2 });
    expect(completionFromOutput('{"values": ["a"], "total": 7, "hasMore": true}', 'c')).toEqual({ values: ['a'], total: 7, hasMore: true });
    expect(completionFromOutput('a\nb\n\n', 'c')).toEqual({ values: ['a', 'b'], total: 2 });
  });

  it('refuses JSON that is not a list of strings', () => {
    expect(() => completionFromOutput('[1, 2]', 'c')).toThrow('not a list of strings');
  });
});
