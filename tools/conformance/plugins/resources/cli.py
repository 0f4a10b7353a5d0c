#!/usr/bin/env python3
"""resources: conformance fixture serving the suites' resources and resource template.

Contract v1.1 (``--describe``): the MCP conformance suite reads ``test://static-text``,
``test://static-binary`` and ``test://template/{id}/data`` (resources-read-text,
resources-read-binary, resources-templates-read, and the 2026-07-28 caching scenario), and
subscribes to ``test://watched-resource`` (resources-subscribe, resources-unsubscribe).

The first three are printed by commands of this plugin, which the gateway runs like tool calls
with ``--uri=<uri>`` (and ``--id=<id>`` for the template); binary content is printed as base64.
``test://watched-resource`` is the file ``watched-resource.txt`` of this folder, read by the
gateway itself: editing the file makes the gateway send ``notifications/resources/updated`` to
its subscribers. Completions of the template's ``id`` come from the command ``complete-id``.

Standard library only; Python 3.9 or newer.
"""

from __future__ import annotations

import argparse
import base64
import json
import struct
import sys
import zlib
from typing import Any, Dict, List

DESCRIBE: Dict[str, Any] = {
    "contract_version": "1.1",
    "plugin": {"name": "resources", "version": "1.0.0", "description": "Conformance fixture: resources and a resource template"},
    "commands": [],
    "resources": [
        {
            "uri": "test://static-text",
            "name": "static-text",
            "title": "Static text",
            "description": "A static text resource",
            "mimeType": "text/plain",
            "command": "static-text",
        },
        {
            "uri": "test://static-binary",
            "name": "static-binary",
            "description": "A static binary resource (a 1x1 red PNG)",
            "mimeType": "image/png",
            "command": "static-binary",
        },
        {
            "uri": "test://watched-resource",
            "name": "watched-resource",
            "description": "A file of the plugin folder; editing it notifies subscribers",
            "mimeType": "text/plain",
            "file": "watched-resource.txt",
        },
    ],
    "resource_templates": [
        {
            "uriTemplate": "test://template/{id}/data",
            "name": "template-data",
            "description": "Data for one id, as JSON",
            "mimeType": "application/json",
            "command": "template-data",
            "complete": {"id": {"command": "complete-id"}},
        }
    ],
}

IDS = ["1", "12", "123", "200"]


def png_red_pixel() -> bytes:
    """A valid 1x1 RGB PNG whose only pixel is pure red."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="cli.py", description=DESCRIBE["plugin"]["description"])
    top.add_argument("--describe", action="store_true")
    commands = top.add_subparsers(dest="command")
    for name in ("static-text", "static-binary"):
        commands.add_parser(name).add_argument("--uri", required=True)
    data = commands.add_parser("template-data")
    data.add_argument("--uri", required=True)
    data.add_argument("--id", required=True)
    complete = commands.add_parser("complete-id")
    complete.add_argument("--argument", required=True)
    complete.add_argument("--value", default="")
    return top


def main(argv: List[str]) -> int:
    args = parser().parse_args(argv)
    if args.describe:
        print(json.dumps(DESCRIBE))
    elif args.command == "static-text":
        print("This is the content of the static text resource.", end="")
    elif args.command == "static-binary":
        print(base64.b64encode(png_red_pixel()).decode("ascii"))
    elif args.command == "template-data":
        print(json.dumps({"id": args.id, "templateTest": True, "data": "Data for ID: %s" % args.id}, separators=(",", ":")), end="")
    elif args.command == "complete-id":
        print(json.dumps([i for i in IDS if i.startswith(args.value)]))
    else:
        print("usage: cli.py --describe | COMMAND", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
