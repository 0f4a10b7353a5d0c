#!/usr/bin/env node
// Lays out the npm package `sanctum-mcp` in dist/package from the built bundle
// (dist/apps/server, `npx nx run server:build`), the bundled plugins and apps/server/package
// (package.json, README.md), then runs `npm pack` there. The package's layout is the
// repository's: main.js in dist/apps/server, the plugins in mcp/plugins, package.json above them
// (where the gateway looks for its installation). Prints the tarball's path last.
//
//   node tools/scripts/pack.mjs [--destination DIR]
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspace = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = join(workspace, 'dist/package');
const args = process.argv.slice(2);
const at = args.indexOf('--destination');
const destination = resolve(at >= 0 && args[at + 1] ? args[at + 1] : join(workspace, 'dist'));

const manifest = JSON.parse(readFileSync(join(workspace, 'apps/server/package/package.json'), 'utf8'));
if (!existsSync(join(workspace, 'dist/apps/server/main.js'))) {
  process.stderr.write('dist/apps/server/main.js is missing: build it first (npx nx run server:build).\n');
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(join(workspace, 'apps/server/package'), out, { recursive: true });
for (const file of manifest.files) {
  const from = join(workspace, file);
  if (!existsSync(from)) {
    process.stderr.write(`${file}, listed in apps/server/package/package.json "files", is missing.\n`);
    process.exit(1);
  }
  cpSync(from, join(out, file), { recursive: true });
}
mkdirSync(destination, { recursive: true });
const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', destination], { cwd: out, encoding: 'utf8' }))[0];
const kib = (bytes) => `${(bytes / 1024).toFixed(0)} KiB`;
process.stderr.write(`${packed.name}@${packed.version}: ${packed.entryCount} files, ${kib(packed.size)} packed, ${kib(packed.unpackedSize)} unpacked\n`);
process.stdout.write(`${join(destination, packed.filename)}\n`);
