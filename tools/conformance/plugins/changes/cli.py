#!/usr/bin/env python3
"""changes: conformance fixture that changes the tool and prompt lists (2026-07-28 server-stateless scenario).

Serves ``test_trigger_tool_change`` and ``test_trigger_prompt_change``, the suite's hooks for
"mutate the tool list" and "mutate the prompt list": while a ``subscriptions/listen`` stream is
open, the suite calls one and expects ``notifications/tools/list_changed`` (or
``notifications/prompts/list_changed``) on that stream. Each call adds the tool
``test_runtime_tool`` (the prompt ``test_runtime_prompt``) to this plugin, or removes it again, by
creating or deleting the file ``runtime-tool`` (``runtime-prompt``) in this folder; ``--describe``
lists it while the file exists. The gateway
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
FLAGS = {"tool": os.path.join(HERE, "runtime-tool"), "prompt": os.path.join(HERE, "runtime-prompt")}
DESCRIBED = os.path.join(HERE, ".described")
WAIT_SECONDS = 3.0
SETTLE_SECONDS = 0.1

TRIGGER = {
    "name": "test_trigger_tool_change",
    "description": "Add the tool test_runtime_tool, or remove it if present; returns once the gateway has rediscovered this plugin",
    "parameters": [],
}
TRIGGER_PROMPT = {
    "name": "test_trigger_prompt_change",
    "description": "Add the prompt test_runtime_prompt, or remove it if present; returns once the gateway has rediscovered this plugin",
    "parameters": [],
}
RUNTIME_PROMPT = {"name": "test_runtime_prompt", "description": "Present between two calls of test_trigger_prompt_change", "template": "A prompt added at run time."}
RUNTIME_TOOL = {
    "name": "test_runtime_tool",
    "description": "Present between two calls of test_trigger_tool_change; returns text",
    "parameters": [],
}

PLUGIN = {"name": "changes", "version": "1.0.0", "description": "Conformance fixture: tools that change the tool and prompt lists"}

HELP = "usage: cli.py COMMAND\n\n%s\n\nAvailable commands:\n  %s  %s\n  %s  %s\n  %s  %s\n" % (
    PLUGIN["description"],
    TRIGGER["name"],
    TRIGGER["description"],
    TRIGGER_PROMPT["name"],
    TRIGGER_PROMPT["description"],
    RUNTIME_TOOL["name"],
    RUNTIME_TOOL["description"] + " (only while listed)",
)


def listed() -> str:
    """What --describe lists now, one digit per flag: "10" = the runtime tool, no runtime prompt."""
    return "".join("1" if os.path.exists(FLAGS[kind]) else "0" for kind in ("tool", "prompt"))


def describe() -> Dict[str, Any]:
    now = listed()
    with open(DESCRIBED, "w") as marker:
        marker.write(now)
    return {
        "contract_version": "1.1",
        "plugin": PLUGIN,
        "commands": [TRIGGER, TRIGGER_PROMPT] + ([RUNTIME_TOOL] if now[0] == "1" else []),
        "prompts": [RUNTIME_PROMPT] if now[1] == "1" else [],
    }


def last_described() -> str:
    try:
        with open(DESCRIBED) as marker:
            return marker.read()
    except OSError:
        return ""


def trigger(kind: str) -> str:
    flag_path = FLAGS[kind]
    if os.path.exists(flag_path):
        os.remove(flag_path)
        added = False
    else:
        with open(flag_path, "w") as flag:
            flag.write("listed by --describe while this file exists\n")
        added = True
    expected = listed()
    deadline = time.monotonic() + WAIT_SECONDS
    while last_described() != expected and time.monotonic() < deadline:
        time.sleep(0.02)
    seen = last_described() == expected
    time.sleep(SETTLE_SECONDS)
    return "%s test_runtime_%s; the gateway %s" % (
        "added" if added else "removed",
        kind,
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
    if argv[0] in (TRIGGER["name"], TRIGGER_PROMPT["name"]):
        kind = "tool" if argv[0] == TRIGGER["name"] else "prompt"
        print(json.dumps({"content": [{"type": "text", "text": trigger(kind)}]}))
        return 0
    if argv[0] == RUNTIME_TOOL["name"]:
        print(json.dumps({"content": [{"type": "text", "text": "test_runtime_tool is listed"}]}))
        return 0
    print(json.dumps({"error": "unknown command %r; see --help" % argv[0]}))
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
