#!/usr/bin/env python3
"""errors: conformance fixture whose tool always fails.

Serves ``test_error_handling`` for the MCP conformance suite's tools-call-error scenario. The
command prints ``{"error": "..."}`` on stdout and exits 1; the gateway answers with a tool result
that has ``isError: true`` and the message as its text content (not a JSON-RPC error).

Standard library only; Python 3.9 or newer.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, List

MESSAGE = "This tool intentionally returns an error for testing"

DESCRIBE: Dict[str, Any] = {
    "contract_version": "1.0",
    "plugin": {"name": "errors", "version": "1.0.0", "description": "Conformance fixture: a tool that always fails"},
    "commands": [
        {"name": "test_error_handling", "description": "Always fail with an error result (isError: true)", "parameters": []},
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
    if argv[0] != "test_error_handling":
        print(json.dumps({"error": "unknown command %r; see --help" % argv[0]}))
        return 2
    print(json.dumps({"error": MESSAGE}))
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
