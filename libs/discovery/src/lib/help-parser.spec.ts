import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseCommandHelp, parseCommandList } from './help-parser';

const dir = join(__dirname, '__fixtures__');
it('dump', () => {
  const out: Record<string, unknown> = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.txt'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    out[f] = { list: parseCommandList(text), help: parseCommandHelp(text) };
  }
  require('node:fs').writeFileSync('/tmp/hp/dump.json', JSON.stringify(out, null, 1));
});
