// A test plugin whose one tool (`slow__wait`) waits `ms`, then writes the file `marker`: whether the
// marker exists shows whether a call ran to its end or was cancelled.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Write the plugin folder `slow` into `dir` (a plugins folder). */
export function writeSlowPlugin(dir: string): void {
  mkdirSync(join(dir, 'slow'), { recursive: true });
  writeFileSync(
    join(dir, 'slow', 'cli.js'),
    `const args = process.argv.slice(2);
if (args[0] === '--describe') {
  process.stdout.write(JSON.stringify({ contract_version: '1.0', plugin: { name: 'slow', version: '1.0.0' }, commands: [
    { name: 'wait', description: 'Wait, then write a marker file', parameters: [
      { name: 'ms', type: 'integer', description: 'How long to wait', required: true },
      { name: 'marker', type: 'string', description: 'File written when done', required: true } ] } ] }));
  process.exit(0);
}
const opt = (n) => (args.find((a) => a.startsWith('--' + n + '=')) || '').slice(n.length + 3);
setTimeout(() => {
  require('node:fs').writeFileSync(opt('marker'), 'done');
  process.stdout.write(JSON.stringify({ result: { waited: Number(opt('ms')) } }));
}, Number(opt('ms')));
`,
  );
}
