#!/usr/bin/env python3
"""prompts: conformance fixture serving the suites' prompts.

Contract v1.1 (``--describe``): ``test_simple_prompt`` is a template in the describe output;
``test_prompt_with_arguments``, ``test_prompt_with_embedded_resource`` and
``test_prompt_with_image`` are rendered by commands of this plugin, which the gateway runs like
tool calls with the prompt's arguments as ``--<name>=<value>`` and which print
``{"messages": [...]}``. Completions (completion-complete): ``arg1`` from a static list,
``arg2`` from the command ``complete-arg2``, which is given ``--argument``, ``--value`` and the
other arguments already chosen.

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
    "plugin": {"name": "prompts", "version": "1.0.0", "description": "Conformance fixture: prompts"},
    "commands": [],
    "prompts": [
        {
            "name": "test_simple_prompt",
            "description": "A prompt without arguments",
            "template": "This is a simple prompt for testing.",
        },
        {
            "name": "test_prompt_with_arguments",
            "description": "A prompt with two required arguments",
            "arguments": [
                {"name": "arg1", "description": "First test argument", "required": True, "complete": ["test", "testValue1", "tested", "other"]},
                {"name": "arg2", "description": "Second test argument", "required": True, "complete": {"command": "complete-arg2"}},
            ],
            "command": "with-arguments",
        },
        {
            "name": "test_prompt_with_embedded_resource",
            "description": "A prompt embedding a resource",
            "arguments": [{"name": "resourceUri", "description": "URI of the resource to embed", "required": True}],
            "command": "with-embedded-resource",
        },
        {
            "name": "test_prompt_with_image",
            "description": "A prompt with an image",
            "command": "with-image",
        },
    ],
}


def png_red_pixel() -> bytes:
    """A valid 1x1 RGB PNG whose only pixel is pure red."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


def text(role: str, value: str) -> Dict[str, Any]:
    return {"role": role, "content": {"type": "text", "text": value}}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="cli.py", description=DESCRIBE["plugin"]["description"])
    top.add_argument("--describe", action="store_true")
    commands = top.add_subparsers(dest="command")
    with_args = commands.add_parser("with-arguments")
    with_args.add_argument("--arg1", required=True)
    with_args.add_argument("--arg2", required=True)
    commands.add_parser("with-embedded-resource").add_argument("--resourceUri", required=True)
    commands.add_parser("with-image")
    complete = commands.add_parser("complete-arg2")
    complete.add_argument("--argument", required=True)
    complete.add_argument("--value", default="")
    complete.add_argument("--arg1", default="")
    return top


def main(argv: List[str]) -> int:
    args = parser().parse_args(argv)
    if args.describe:
        print(json.dumps(DESCRIBE))
        return 0
    if args.command == "with-arguments":
        messages = [text("user", "Prompt with arguments: arg1='%s', arg2='%s'" % (args.arg1, args.arg2))]
    elif args.command == "with-embedded-resource":
        messages = [
            {
                "role": "user",
                "content": {
                    "type": "resource",
                    "resource": {"uri": args.resourceUri, "mimeType": "text/plain", "text": "Embedded resource content for testing."},
                },
            },
            text("user", "Please process the embedded resource above."),
        ]
    elif args.command == "with-image":
        image = {"type": "image", "data": base64.b64encode(png_red_pixel()).decode("ascii"), "mimeType": "image/png"}
        messages = [{"role": "user", "content": image}, text("user", "Please analyze the image above.")]
    elif args.command == "complete-arg2":
        # The context argument narrows the values: a real completion depends on what was chosen.
        prefix = (args.arg1 + "-") if args.arg1 else ""
        values = [prefix + v for v in ("alpha", "beta", "gamma")]
        print(json.dumps([v for v in values if v.startswith(args.value)]))
        return 0
    else:
        print("usage: cli.py --describe | COMMAND", file=sys.stderr)
        return 2
    print(json.dumps({"messages": messages}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
