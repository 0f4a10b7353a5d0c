#!/usr/bin/env python3
"""streams: conformance fixture for the MCP conformance suite's server-sse-polling scenario.

Serves ``test_reconnection``. In the SDK's reference server that tool closes the call's SSE
stream before it answers, so the client must reconnect with Last-Event-ID to get the result
(SEP-1699). A plugin cannot close the gateway's stream, so this command only takes a moment
(long enough for a client to see the stream open) and answers with text; how the answer travels
is the gateway's business.

Standard library only; Python 3.9 or newer.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Dict, List

DESCRIBE: Dict[str, Any] = {
    "contract_version": "1.0",
    "plugin": {"name": "streams", "version": "1.0.0", "description": "Conformance fixture: a slow tool for SSE resumption tests"},
    "commands": [
        {"name": "test_reconnection", "description": "Wait 200 ms, then return text (SSE polling and resumption tests)", "parameters": []},
    ],
}

HELP = "usage: cli.py COMMAND\n\n%s\n\nAvailable commands:\n%s\n" % (
    DESCRIBE["plugin"]["description"],
    "\n".join("  %s  %s" % (c["name"], c["description"]) for c in DESCRIBE["commands"]),
)


def main(argv: List[str]) -> int:
    if argv == ["--describe"]:
        print(json.dumps(DESCRIBE))
        return 0
    if not argv or argv[0] in ("-h", "--help"):
        print(HELP, end="")
        return 0
    if argv[0] != "test_reconnection":
        print(json.dumps({"error": "unknown command %r; see --help" % argv[0]}))
        return 2
    time.sleep(0.2)
    print(json.dumps({"content": [{"type": "text", "text": "Reconnection test completed successfully"}]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
