#!/usr/bin/env python3
"""notify: conformance fixture whose tools report log lines and progress while they run.

Serves the tools of the MCP conformance suite's tools-call-with-logging and
tools-call-with-progress scenarios, and ``test_logging_tool`` of the 2026-07-28 server-stateless
scenario (a request without ``io.modelcontextprotocol/logLevel`` must get no log notifications).
A running command writes one JSON object per line on stderr:

- ``{"log": "info", "message": "..."}`` becomes ``notifications/message`` (when the session's
  log level lets it through);
- ``{"progress": n, "total": m}`` becomes ``notifications/progress`` (only when the call carried a
  ``_meta.progressToken``; without one the command still runs, with the same delays).

The result goes to stdout as ``{"content": [...]}``.

Standard library only; Python 3.9 or newer.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, Callable, Dict, List

STEP_SECONDS = 0.05

DESCRIBE: Dict[str, Any] = {
    "contract_version": "1.0",
    "plugin": {"name": "notify", "version": "1.0.0", "description": "Conformance fixture: tools that send log and progress notifications"},
    "commands": [
        {
            "name": "test_tool_with_logging",
            "description": "Send three info log notifications about 50 ms apart, then return text",
            "parameters": [],
        },
        {
            "name": "test_logging_tool",
            "description": "Send three info log notifications at once, then return text",
            "parameters": [],
        },
        {
            "name": "test_tool_with_progress",
            "description": "Report progress 0/100, 50/100 and 100/100 about 50 ms apart, then return text",
            "parameters": [],
        },
    ],
}


def emit(event: Dict[str, Any]) -> None:
    print(json.dumps(event), file=sys.stderr, flush=True)


def test_tool_with_logging() -> List[Dict[str, Any]]:
    emit({"log": "info", "message": "Tool execution started"})
    time.sleep(STEP_SECONDS)
    emit({"log": "info", "message": "Tool processing data"})
    time.sleep(STEP_SECONDS)
    emit({"log": "info", "message": "Tool execution completed"})
    return [{"type": "text", "text": "Tool with logging executed successfully"}]


def test_logging_tool() -> List[Dict[str, Any]]:
    # No delays: the suite gives the whole call 500 ms.
    for message in ("Logging tool started", "Logging tool working", "Logging tool finished"):
        emit({"log": "info", "message": message})
    return [{"type": "text", "text": "Logging tool executed successfully"}]


def test_tool_with_progress() -> List[Dict[str, Any]]:
    emit({"progress": 0, "total": 100})
    time.sleep(STEP_SECONDS)
    emit({"progress": 50, "total": 100})
    time.sleep(STEP_SECONDS)
    emit({"progress": 100, "total": 100})
    return [{"type": "text", "text": "Tool with progress executed successfully"}]


HANDLERS: Dict[str, Callable[[], List[Dict[str, Any]]]] = {
    "test_tool_with_logging": test_tool_with_logging,
    "test_logging_tool": test_logging_tool,
    "test_tool_with_progress": test_tool_with_progress,
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
    handler = HANDLERS.get(argv[0])
    if handler is None:
        print(json.dumps({"error": "unknown command %r; see --help" % argv[0]}))
        return 2
    if argv[1:]:
        print(json.dumps({"error": "%s takes no arguments, got %s" % (argv[0], " ".join(argv[1:]))}))
        return 2
    print(json.dumps({"content": handler()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
