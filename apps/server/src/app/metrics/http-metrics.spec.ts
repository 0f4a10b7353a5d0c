import { routeLabel } from './http-metrics';

describe('routeLabel', () => {
  it.each([
    ['/mcp', '/mcp'],
    ['/message?sessionId=abc', '/message'],
    ['/profiles/chat/mcp', '/profiles/:profile/mcp'],
    ['/profiles/ops/message?sessionId=abc', '/profiles/:profile/message'],
    ['/profiles/ops/sse', '/profiles/:profile/sse'],
  ])('labels %s as %s (a profile endpoint by its route, never by the name)', (path, label) => {
    expect(routeLabel(path)).toBe(label);
  });

  it.each(['/profiles/ops/other', '/profiles//mcp', '/mcpx', '/profiles/a/b/mcp', '/'])('labels %s as other (the label set stays bounded)', (path) => {
    expect(routeLabel(path)).toBe('other');
  });
});
