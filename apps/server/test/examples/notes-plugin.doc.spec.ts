// docs/plugin-development.md shows the contract v1.1 example plugin verbatim: the plugin a team
// copies is the one content.e2e-spec.ts serves through the gateway.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

describe('the contract v1.1 example plugin in docs/plugin-development.md', () => {
  it('is test/fixtures/content/notes/cli.py, verbatim', () => {
    const doc = readFileSync(resolve(__dirname, '../../../../docs/plugin-development.md'), 'utf8');
    const example = readFileSync(resolve(__dirname, '../fixtures/content/notes/cli.py'), 'utf8');
    const shown = /### A complete example: resources and prompts[\s\S]*?```python\n([\s\S]*?)```\n/.exec(doc)?.[1];
    // On a difference, copy apps/server/test/fixtures/content/notes/cli.py into the page's first python block of that section.
    expect(shown).toBe(example);
  });
});
