#!/bin/sh
# Installs the sanctum-mcp package tarball (tools/scripts/pack.mjs) without npm and without
# node_modules: the bundle carries its dependencies. The Dockerfile's runtime stage runs exactly
# this, and CI (tools/scripts/package-check.sh) runs it in a clean folder.
#
#   install-package.sh <sanctum-mcp-x.y.z.tgz> <folder> <bin folder>
# gives <folder>/dist/apps/server/main.js, <folder>/mcp/plugins (the bundled plugins) and the
# command <bin folder>/sanctum-mcp.
set -eu
tarball=$1
folder=$2
bin=$3
mkdir -p "$folder" "$bin"
tar -xzf "$tarball" -C "$folder" --strip-components=1 --no-same-owner
chmod 755 "$folder/dist/apps/server/main.js"
ln -sf "$folder/dist/apps/server/main.js" "$bin/sanctum-mcp"
if [ -n "$(find "$folder" -name node_modules)" ]; then
  echo "install-package.sh: $folder holds node_modules; the bundle should carry every dependency" >&2
  exit 1
fi
