#!/usr/bin/env python3
"""headers: conformance fixture for the 2026-07-28 http-custom-header-server-validation scenario.

Serves ``test_header_param``, whose string argument ``region`` is declared with
``"x-mcp-header": "Region"`` in the command's ``inputSchema`` (advertised verbatim). A 2026-07-28
client must mirror that argument into an ``Mcp-Param-Region`` header (``=?base64?...?=`` when the
value is not header-safe), and the server must reject a request whose header is missing, is not
valid base64 in that form, or differs from the body (SEP-2243). The command only echoes the value:
the checks are the gateway's.

Standard library only; Python 3.9 or newer.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List

INPUT_SCHEMA: Dict[str, Any] = {
    "type": "object",
    "properties": {"region": {"type": "string", "description": "Any text; mirrored in the Mcp-Param-Region header", "x-mcp-header": "Region"}},
    "required": ["region"],
    "additionalProperties": False,
}

DESCRIBE: Dict[str, Any] = {
    "contract_version": "1.0",
    "plugin": {"name": "headers", "version": "1.0.0", "description": "Conformance fixture: a tool argument mirrored in an HTTP header"},
    "commands": [
        {
            "name": "test_header_param",
            "description": "Echo the region argument (sent in the Mcp-Param-Region header too)",
            "parameters": [{"name": "region", "type": "string", "description": "Any text", "required": True}],
            "inputSchema": INPUT_SCHEMA,
        }
    ],
}

HELP = "usage: cli.py COMMAND\n\n%s\n\nAvailable commands:\n%s\n" % (
    DESCRIBE["plugin"]["description"],
    "\n".join("  %s  %s" % (c["name"], c["description"]) for c in DESCRIBE["commands"]),
)


def fail(message: str) -> int:
    print(json.dumps({"error": message}))
    return 1


def main(argv: List[str]) -> int:
    if argv == ["--describe"]:
        print(json.dumps(DESCRIBE))
        return 0
    if not argv or argv[0] in ("-h", "--help"):
        print(HELP, end="")
        return 0
    if argv[0] != "test_header_param":
        return fail("unknown command %r; see --help" % argv[0])
    parser = argparse.ArgumentParser(prog="cli.py test_header_param", add_help=False)
    parser.add_argument("--region")
    args, unknown = parser.parse_known_args(argv[1:])
    if unknown:
        return fail("unexpected arguments: %s" % " ".join(unknown))
    if args.region is None:
        return fail("--region is required")
    print(json.dumps({"content": [{"type": "text", "text": "region: %s" % args.region}]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
