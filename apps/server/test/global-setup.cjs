// Jest globalSetup of the server project: build the production bundle (what `npm start` runs)
// and the operator console's files (what the gateway serves at /console) when they are missing or
// older than their sources, so that specs spawning the real process or opening the console in a
// browser test the current code. Runs once per test run, before any spec.
const { execFileSync } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join, resolve } = require('node:path');

const workspace = resolve(__dirname, '../../..');
const main = join(workspace, 'dist/apps/server/main.js');
const sources = ['apps/server/src', 'libs/protocol/src', 'libs/discovery/src', 'libs/executor/src', 'libs/sessions/src'];

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (/\.(ts|tsx|json|py|html|css)$/.test(entry.name)) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

/** Run webpack with a config when `output` is missing or older than the newest file of `dirs`. */
function build(output, dirs, config) {
  const latest = Math.max(...dirs.map((dir) => newest(join(workspace, dir))));
  if (existsSync(output) && statSync(output).mtimeMs >= latest) return;
  execFileSync(process.execPath, [join(workspace, 'node_modules/webpack-cli/bin/cli.js'), '--config', config], {
    cwd: workspace,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 180_000,
  });
}

module.exports = async function buildServer() {
  build(main, sources, 'apps/server/webpack.config.cjs');
  build(join(workspace, 'dist/apps/console/console.js'), ['apps/console/src'], 'apps/console/webpack.config.cjs');
};
