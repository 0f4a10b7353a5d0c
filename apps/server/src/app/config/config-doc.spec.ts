import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_DOC_PATH, CONFIG_DOC_UPDATE, renderConfigDoc } from './config-doc';
import { CONFIG_GROUPS, CONFIG_TABLE, flagOf } from './config.table';

const WORKSPACE = resolve(__dirname, '../../../../..');
const PAGE = resolve(WORKSPACE, CONFIG_DOC_PATH);

describe('docs/configuration.md', () => {
  const rendered = renderConfigDoc();

  // UPDATE_CONFIG_DOC=1 writes the page instead of comparing it.
  if (process.env['UPDATE_CONFIG_DOC'] === '1') writeFileSync(PAGE, rendered);

  it('is what the table renders', () => {
    const committed = readFileSync(PAGE, 'utf8');
    if (committed !== rendered) {
      throw new Error(
        `${CONFIG_DOC_PATH} differs from the configuration table (apps/server/src/app/config/config.table.ts). Regenerate it: ${CONFIG_DOC_UPDATE}`,
      );
    }
  });

  it('has a row for every variable, with its default, under its group', () => {
    const sections = rendered.split(/^## /m);
    for (const variable of CONFIG_TABLE) {
      const section = sections.find((s) => s.startsWith(`${CONFIG_GROUPS[variable.group]}\n`));
      const option = flagOf(variable);
      expect(section).toContain(
        `| \`${variable.name}\` | ${option ? `\`--${option}\`` : '(none)'} | ${variable.parser.type} | ${variable.default.text.replace(/\|/g, '\\|')} |`,
      );
    }
  });

  it('escapes what markdown would read in the accepted values', () => {
    expect(rendered).toContain('TELEGRAM\\_\\*,AWS\\_REGION');
  });
});
