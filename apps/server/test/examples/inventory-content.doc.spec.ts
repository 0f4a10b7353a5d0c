// docs/plugin-development.md shows the @McpResource / @McpPrompt example module verbatim: the code
// a team copies is the code content.e2e-spec.ts runs.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

describe('the @McpResource and @McpPrompt example in docs/plugin-development.md', () => {
  it('is inventory-content.module.ts, verbatim', () => {
    const doc = readFileSync(resolve(__dirname, '../../../../docs/plugin-development.md'), 'utf8');
    const example = readFileSync(resolve(__dirname, 'inventory-content.module.ts'), 'utf8');
    const shown = /## Resources and prompts from Nest providers[\s\S]*?```ts\n([\s\S]*?)```\n/.exec(doc)?.[1];
    // On a difference, copy apps/server/test/examples/inventory-content.module.ts into the page's first ts block of that section.
    expect(shown).toBe(example);
  });
});
