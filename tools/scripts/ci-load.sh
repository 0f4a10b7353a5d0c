#!/usr/bin/env bash
# Start the production bundle on a free loopback port with the bundled plugins and run the short
# load test against it (tools/load/load.mjs --quick), then a session churn (tools/load/churn.mjs),
# then the scale-out soak (tools/load/scale-out.mjs --quick: two instances sharing a Redis of its
# own behind nginx). Exits non-zero when any fails.
set -uo pipefail
cd "$(dirname "$0")/../.."

state=$(mktemp -d)
port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
log="$state/server.log"
MCP_PORT=$port MCP_RATE_LIMIT=0 MCP_DISCOVERY_CACHE=off DEVOPS_STATE_FILE="$state/devops.json" \
  node dist/apps/server/main.js >"$log" 2>&1 &
pid=$!
cleanup() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$state"; }
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -s "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.2
done
node tools/load/load.mjs --url "http://127.0.0.1:$port" --quick
status=$?
# Session churn: counts back to zero, heap not growing across rounds.
node tools/load/churn.mjs --url "http://127.0.0.1:$port" --sessions 2000 || status=1
[ "$status" -eq 0 ] || { echo "--- server log"; tail -50 "$log"; }
# Scale-out soak: its own redis-server, two instances behind nginx (prints its own logs on failure).
# 1,000 sessions hold more open files than a default `ulimit -n` of 1024 allows.
(ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; node tools/load/scale-out.mjs --quick) || status=1
exit "$status"
