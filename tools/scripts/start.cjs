#!/usr/bin/env node
// `npm start`: run the gateway bundle, building it first only when it is missing or older than
// its sources (as apps/server/test/global-setup.cjs does for the e2e specs). The build is Nx's
// (typecheck, then webpack) with its output kept back: one line says a build runs, and only a
// failed build prints what Nx said, without colour codes. The bundle then runs in this process,
// so signals, exit codes and arguments (`npm start -- --stdio`) are the bundle's own.
const { spawnSync } = require('node:child_process');
const { existsSync, readdirSync, statSync, utimesSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');
const { stripVTControlCharacters } = require('node:util');

const workspace = resolve(__dirname, '../..');
const main = join(workspace, 'dist/apps/server/main.js');
const sourceDirs = ['apps/server/src', ...readdirSync(join(workspace, 'libs')).map((lib) => `libs/${lib}/src`)];
const sourceFiles = [
  'apps/server/webpack.config.cjs',
  'apps/server/project.json',
  'apps/server/tsconfig.app.json',
  'tsconfig.base.json',
  'package-lock.json',
];

/** The newest mtime of what goes into the bundle (specs do not). */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) latest = Math.max(latest, newest(path));
    else if (/\.(ts|json|py|cjs|js)$/.test(entry.name) && !/\.spec\.ts$/.test(entry.name))
      latest = Math.max(latest, statSync(path).mtimeMs);
  }
  return latest;
}

function upToDate() {
  if (!existsSync(main)) return false;
  const dirs = sourceDirs.map((dir) => join(workspace, dir)).filter((dir) => existsSync(dir));
  const files = sourceFiles.map((file) => join(workspace, file)).filter((file) => existsSync(file));
  const latest = Math.max(0, ...dirs.map(newest), ...files.map((file) => statSync(file).mtimeMs));
  return statSync(main).mtimeMs >= latest;
}

/** Nx's command-line entry, wherever this version of the package keeps it. */
function nxBin() {
  const manifest = require.resolve('nx/package.json', { paths: [workspace] });
  const { bin } = require(manifest);
  return join(dirname(manifest), typeof bin === 'string' ? bin : bin.nx);
}

function build() {
  process.stderr.write(`Building ${main.slice(workspace.length + 1)} (missing or older than its sources)...\n`);
  const started = Date.now();
  const result = spawnSync(process.execPath, [nxBin(), 'run', 'server:build', '--output-style=static'], {
    cwd: workspace,
    env: { ...process.env, NX_TUI: 'false', NX_NO_CLOUD: 'true', FORCE_COLOR: '0', NO_COLOR: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    // No ANSI escapes even from a tool that ignores NO_COLOR: this output is read in logs too.
    const said = stripVTControlCharacters(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    process.stderr.write(
      `${said.trimEnd()}\nThe build failed (${result.error ? result.error.message : `exit ${result.status ?? result.signal}`}).\n`,
    );
    process.exit(1);
  }
  // Nx may restore the bundle from its cache with an old mtime: mark it as built now, so that the
  // next start does not ask Nx again.
  const now = new Date();
  utimesSync(main, now, now);
  process.stderr.write(`Built in ${((Date.now() - started) / 1000).toFixed(1)} s.\n`);
}

if (!upToDate()) build();
require(main);
