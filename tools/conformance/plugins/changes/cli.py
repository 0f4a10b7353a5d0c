#!/usr/bin/env python3
"""changes: conformance fixture that changes the tool list (2026-07-28 server-stateless scenario).

Serves ``test_trigger_tool_change``, the suite's hook for "mutate the tool list": while a
``subscriptions/listen`` stream is open, the suite calls it and expects
``notifications/tools/list_changed`` on that stream. Each call adds the tool
``test_runtime_tool`` to this plugin, or removes it again, by creating or deleting the file
``runtime-tool`` in this folder; ``--describe`` lists the tool while the file exists. The gateway
notices the change through its plugin watcher (``MCP_WATCH``), rediscovers the plugins and
announces the new list: the fixture adds no shortcut.

The call returns once the gateway has run ``--describe`` again (``--describe`` records what it
listed in ``.described``, a dotfile the watcher ignores), or after 3 s, so the suite's short
listen window sees the notification and the next scenario sees a settled list. Run the gateway
on a copy of this folder (``tools/conformance/run.mjs`` does): calls write into it.

Standard library only; Python 3.9 or newer.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any, Dict, List

HERE = os.path.dirname(os.path.abspath(__file__))
FLAG = os.path.join(HERE, "runtime-tool")
DESCRIBED = os.path.join(HERE, ".described")
WAIT_SECONDS = 3.0
SETTLE_SECONDS = 0.1

TRIGGER = {
    "name": "test_trigger_tool_change",
    "description": "Add the tool test_runtime_tool, or remove it if present; returns once the gateway has rediscovered this plugin",
    "parameters": [],
}
RUNTIME_TOOL = {
    "name": "test_runtime_tool",
    "description": "Present between two calls of test_trigger_tool_change; returns text",
    "parameters": [],
}

PLUGIN = {"name": "changes", "version": "1.0.0", "description": "Conformance fixture: a tool that changes the tool list"}

HELP = "usage: cli.py COMMAND\n\n%s\n\nAvailable commands:\n  %s  %s\n  %s  %s\n" % (
    PLUGIN["description"],
    TRIGGER["name"],
    TRIGGER["description"],
    RUNTIME_TOOL["name"],
    RUNTIME_TOOL["description"] + " (only while listed)",
)


def describe() -> Dict[str, Any]:
    listed = os.path.exists(FLAG)
    with open(DESCRIBED, "w") as marker:
        marker.write("1" if listed else "0")
    return {"contract_version": "1.0", "plugin": PLUGIN, "commands": [TRIGGER, RUNTIME_TOOL] if listed else [TRIGGER]}


def last_described() -> str:
    try:
        with open(DESCRIBED) as marker:
            return marker.read()
    except OSError:
        return ""


def trigger() -> str:
    if os.path.exists(FLAG):
        os.remove(FLAG)
        added = False
    else:
        with open(FLAG, "w") as flag:
            flag.write("listed by --describe while this file exists\n")
        added = True
    expected = "1" if added else "0"
    deadline = time.monotonic() + WAIT_SECONDS
    while last_described() != expected and time.monotonic() < deadline:
        time.sleep(0.02)
    seen = last_described() == expected
    time.sleep(SETTLE_SECONDS)
    return "%s test_runtime_tool; the gateway %s" % (
        "added" if added else "removed",
        "has rediscovered this plugin" if seen else "did not rediscover this plugin within %g s (is MCP_WATCH on?)" % WAIT_SECONDS,
    )


def main(argv: List[str]) -> int:
    if argv == ["--describe"]:
        print(json.dumps(describe()))
        return 0
    if not argv or argv[0] in ("-h", "--help"):
        print(HELP, end="")
        return 0
    if argv[1:]:
        print(json.dumps({"error": "%s takes no arguments, got %s" % (argv[0], " ".join(argv[1:]))}))
        return 2
    if argv[0] == TRIGGER["name"]:
        print(json.dumps({"content": [{"type": "text", "text": trigger()}]}))
        return 0
    if argv[0] == RUNTIME_TOOL["name"]:
        print(json.dumps({"content": [{"type": "text", "text": "test_runtime_tool is listed"}]}))
        return 0
    print(json.dumps({"error": "unknown command %r; see --help" % argv[0]}))
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
