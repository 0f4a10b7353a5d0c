import { stringifyExact } from '@sanctum/protocol';

/** Limits on tool arguments, checked before anything is spawned. */
export interface ArgumentLimits {
  maxArgBytes: number;
  maxArgsTotalBytes: number;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Problems with argument values that no schema expresses: NUL bytes (they cannot cross argv),
 * text that is not valid Unicode (it cannot be encoded as UTF-8), over-long strings, and an
 * oversized total. Keys are checked as well as values. Returns readable problems, empty when fine.
 */
export function argumentProblems(args: Record<string, unknown>, limits: ArgumentLimits): string[] {
  const problems: string[] = [];
  const total = Buffer.byteLength(stringifyExact(args), 'utf8');
  if (total > limits.maxArgsTotalBytes) {
    problems.push(`the arguments total ${total} bytes; the limit is ${limits.maxArgsTotalBytes} (MCP_MAX_ARGS_BYTES)`);
  }
  const visit = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (value.includes('\u0000')) problems.push(`'${path}' contains a NUL byte`);
      if (LONE_SURROGATE.test(value)) problems.push(`'${path}' is not valid Unicode text (lone surrogate)`);
      const bytes = Buffer.byteLength(value, 'utf8');
      if (bytes > limits.maxArgBytes) problems.push(`'${path}' is ${bytes} bytes; the limit is ${limits.maxArgBytes} (MCP_MAX_ARG_BYTES)`);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, `${path}[${i}]`));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) {
        if (key.includes('\u0000') || LONE_SURROGATE.test(key)) problems.push(`a key under '${path}' is not valid text`);
        visit(child, `${path}.${key}`);
      }
    }
  };
  for (const [key, value] of Object.entries(args)) {
    if (key.includes('\u0000') || LONE_SURROGATE.test(key)) problems.push('an argument name is not valid text');
    visit(value, key);
  }
  return [...new Set(problems)].slice(0, 10);
}
