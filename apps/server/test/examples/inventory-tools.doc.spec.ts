// docs/plugin-development.md shows the @McpTool example module verbatim: the code a team copies
// is the code provider-tools.e2e-spec.ts runs.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

describe('the @McpTool example in docs/plugin-development.md', () => {
  it('is inventory-tools.module.ts, verbatim', () => {
    const doc = readFileSync(resolve(__dirname, '../../../../docs/plugin-development.md'), 'utf8');
    const example = readFileSync(resolve(__dirname, 'inventory-tools.module.ts'), 'utf8');
    const shown = /## Tools from Nest providers[\s\S]*?```ts\n([\s\S]*?)```\n/.exec(doc)?.[1];
    // On a difference, copy apps/server/test/examples/inventory-tools.module.ts into the page's first ts block of that section.
    expect(shown).toBe(example);
  });
});
