#!/usr/bin/env bash
# The npm package as a user gets it: `npm pack` (tools/scripts/pack.mjs), installed into an empty
# folder outside the workspace with an empty environment, then run: --help and --version, `check`
# on the bundled plugins, on fixture plugins and on a broken one, `init`, the HTTP server answering
# the monitoring guide's three curls, and `--stdio` driven by the SDK's stdio client. Last, the
# Dockerfile's runtime steps (tools/scripts/install-package.sh) in a clean folder; the image itself
# is not built here (no Docker engine). Needs the bundle (npx nx run server:build).
# PACKAGE_CHECK_PORT (default 8000, the guide's) is the HTTP port.
set -uo pipefail
cd "$(dirname "$0")/../.."
workspace=$PWD
port=${PACKAGE_CHECK_PORT:-8000}

work=$(mktemp -d "${TMPDIR:-/tmp}/sanctum-package-XXXXXX")
server=
cleanup() { [ -n "$server" ] && kill -TERM -- -"$server" 2>/dev/null && wait "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

ok=0
check() { if eval "$2"; then echo "ok   - $1"; else echo "FAIL - $1"; ok=1; fi; }

[ -f dist/apps/server/main.js ] || npx nx run server:build --output-style=stream >/dev/null || { echo "FAIL - build"; exit 1; }
tarball=$(node tools/scripts/pack.mjs --destination "$work/pack") || { echo "FAIL - npm pack"; exit 1; }

# A user's machine: an empty folder, its own HOME and npm cache, nothing of the workspace's environment.
mkdir -p "$work/app" "$work/home"
run() { (cd "$work/app" && env -i PATH="$PATH" HOME="$work/home" npm_config_cache="$work/home/.npm" "$@"); }
run npm init -y >/dev/null
run npm install --offline --no-audit --no-fund --ignore-scripts "$tarball" >/dev/null 2>&1
check "npm install of the tarball into an empty folder: one package, no dependencies" \
  '[ -x "$work/app/node_modules/.bin/sanctum-mcp" ] && [ "$(ls "$work/app/node_modules")" = sanctum-mcp ]'
bin=$work/app/node_modules/.bin/sanctum-mcp

help=$(run npx --offline sanctum-mcp --help)
check "npx sanctum-mcp --help lists the table's flags" '[[ "$help" == *"--plugins <path>"* && "$help" == *"--api-key-file <file path>"* && "$help" == *"--stdio"* ]]'
check "npx sanctum-mcp --version" '[ "$(run npx --offline sanctum-mcp --version)" = "$(node -p "require(\"./apps/server/package/package.json\").version")" ]'

bundled=$(run npx --offline sanctum-mcp check 2>&1)
check "sanctum-mcp check: the bundled plugins" '[[ "$bundled" == *"ok    botfather"* && "$bundled" == *"ok    devops"* && "$bundled" == *"no problems."* ]]'
# The conformance fixtures but `changes`, which adds and removes its own tools while it runs.
mkdir -p "$work/fixtures"
for fixture in tools/conformance/plugins/*/; do [ "$(basename "$fixture")" = changes ] || cp -r "$fixture" "$work/fixtures/"; done
fixtures=$(run npx --offline sanctum-mcp check --plugins "$work/fixtures" 2>&1)
check "sanctum-mcp check --plugins: the conformance fixture plugins" '[[ "$fixtures" == *"ok    schema"* && "$fixtures" == *"no problems."* ]]'
mkdir -p "$work/broken" && cp -r apps/server/test/fixtures/plugins/broken_describe "$work/broken/"
broken=$(run npx --offline sanctum-mcp check --plugins "$work/broken" 2>&1); broken_status=$?
check "sanctum-mcp check exits 1 and says why a plugin was skipped" '[ "$broken_status" -eq 1 ] && [[ "$broken" == *"SKIP  broken_describe: --describe output violates plugin contract v1"* ]]'
mkdir -p "$work/mine"
run npx --offline sanctum-mcp init weather --plugins "$work/mine" >/dev/null
mine=$(run npx --offline sanctum-mcp check --plugins "$work/mine" 2>&1)
check "sanctum-mcp init weather: a plugin that check accepts and whose tests pass" \
  '[[ "$mine" == *"weather__greet"* && "$mine" == *"no problems."* ]] && (cd "$work/mine/weather" && python3 -m unittest -q 2>/dev/null)'

flagged=$(cd "$work/app" && env -i PATH="$PATH" HOME="$work/home" MCP_PLUGINS_DIR=/nonexistent npx --offline sanctum-mcp check --plugins "$work/mine" 2>&1)
check "a flag wins over its variable (MCP_PLUGINS_DIR=/nonexistent, --plugins DIR)" '[[ "$flagged" == *"weather__add"* ]]'

# The HTTP server, as `npx sanctum-mcp` starts it, and the monitoring guide's commands.
log=$work/server.log
(cd "$work/app" && exec setsid env -i PATH="$PATH" HOME="$work/home" "$bin" --port "$port" --discovery-cache off) >"$log" 2>&1 &
server=$!
for _ in $(seq 1 120); do
  curl -s "http://localhost:$port/health" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.5
done
health=$(curl http://localhost:$port/health 2>/dev/null)
check "curl http://localhost:$port/health" '[[ "$health" == "{\"status\":\"ok\",\"sessions\":0"* ]]'
sse=$(curl -H "Accept: text/event-stream" http://localhost:$port/sse --max-time 1 2>/dev/null)
check 'curl -H "Accept: text/event-stream" .../sse -> endpoint event' '[[ "$sse" == "event: endpoint"$'"'"'\n'"'"'"data: /message?sessionId="* ]]'
call=$(curl -X POST http://localhost:$port/message \
  -H "Content-Type: application/json" \
  -d '{"jsonrpc":"2.0","id":"test","method":"tools/call","params":{"name":"botfather.send-message","arguments":{"message":"/help"}}}' 2>/dev/null)
check 'curl -X POST .../message (botfather.send-message) -> JSON-RPC result' '[[ "$call" == "{\"jsonrpc\":\"2.0\",\"id\":\"test\",\"result\":"* ]]'
check "the log shows discovery and the tool call" 'grep -q "Discovered plugin: botfather" "$log" && grep -q "Tool invoked: botfather.send-message" "$log"'
kill -TERM -- -"$server" 2>/dev/null; wait "$server" 2>/dev/null; server=

check "sanctum-mcp --stdio driven by the SDK's stdio client" 'node tools/scripts/package-stdio-client.mjs "$bin" "$work/app"'

# The Dockerfile's runtime stage, run here in a clean folder: the same script, then its CMD's program.
sh tools/scripts/install-package.sh "$tarball" "$work/image/app" "$work/image/usr/local/bin"
check "the image's install step (install-package.sh): the command runs, no node_modules" \
  '[ -z "$(find "$work/image" -name node_modules)" ] && env -i PATH="$PATH" HOME="$work/home" "$work/image/usr/local/bin/sanctum-mcp" check >/dev/null 2>&1'

if [ "$ok" -ne 0 ]; then
  echo "--- server log"; cat "$log"
  echo "--- outputs"; printf '%s\n' "$help" | head -5; echo "$bundled"; echo "$fixtures"; echo "$broken"; echo "$mine"; echo "$health"; echo "$sse"; echo "$call"
fi
exit "$ok"
