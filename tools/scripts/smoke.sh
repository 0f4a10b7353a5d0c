#!/usr/bin/env bash
# Start the server the way the README says (`npm start`, default 127.0.0.1:8000) and run the
# monitoring guide's three debug commands verbatim against it. Exits non-zero on any mismatch.
set -uo pipefail
cd "$(dirname "$0")/../.."

log=$(mktemp)
# Its own process group (npm -> node), so cleanup stops exactly what this script started.
setsid npm start >"$log" 2>&1 &
pid=$!
cleanup() { kill -TERM -- -"$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
trap cleanup EXIT

for _ in $(seq 1 240); do
  curl -s http://localhost:8000/health >/dev/null 2>&1 && break
  sleep 0.5
done

ok=0
check() { if eval "$2"; then echo "ok   - $1"; else echo "FAIL - $1"; ok=1; fi; }

health=$(curl http://localhost:8000/health 2>/dev/null)
check 'curl http://localhost:8000/health -> {"status":"ok","sessions":0,...}' '[[ "$health" == "{\"status\":\"ok\",\"sessions\":0"* ]]'

sse=$(curl -H "Accept: text/event-stream" http://localhost:8000/sse --max-time 1 2>/dev/null)
check 'curl -H "Accept: text/event-stream" http://localhost:8000/sse -> endpoint event' '[[ "$sse" == "event: endpoint"$'"'"'\n'"'"'"data: /message?sessionId="* ]]'

call=$(curl -X POST http://localhost:8000/message \
  -H "Content-Type: application/json" \
  -d '{"jsonrpc":"2.0","id":"test","method":"tools/call","params":{"name":"botfather.send-message","arguments":{"message":"/help"}}}' 2>/dev/null)
check 'curl -X POST http://localhost:8000/message (botfather.send-message) -> JSON-RPC result' '[[ "$call" == "{\"jsonrpc\":\"2.0\",\"id\":\"test\",\"result\":"* ]]'

check 'npm start prints no Nx output and no ANSI escape codes' '! grep -q $'"'"'\x1b'"'"' "$log" && ! grep -Eq "nx run|NX " "$log"'
check 'log shows discovery and tool lines' 'grep -q "INFO: Discovered plugin: botfather (3 commands)" "$log" && grep -q "Tool invoked: botfather.send-message" "$log"'

if [ "$ok" -ne 0 ]; then
  echo "--- server log"; cat "$log"
  echo "--- responses"; echo "$health"; echo "$sse"; echo "$call"
fi
exit "$ok"
