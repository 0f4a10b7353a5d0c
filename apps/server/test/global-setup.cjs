// Jest globalSetup of the server project: build the production bundle (what `npm start` runs)
// when it is missing or older than the sources, so that specs spawning the real process test
// the current code. Runs once per test run, before any spec.
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
    else if (/\.(ts|json|py)$/.test(entry.name)) latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

module.exports = async function buildServer() {
  const latest = Math.max(...sources.map((dir) => newest(join(workspace, dir))));
  if (existsSync(main) && statSync(main).mtimeMs >= latest) return;
  execFileSync(process.execPath, [join(workspace, 'node_modules/webpack-cli/bin/cli.js'), '--config', 'apps/server/webpack.config.cjs'], {
    cwd: workspace,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 180_000,
  });
};
