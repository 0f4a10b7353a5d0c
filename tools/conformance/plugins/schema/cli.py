#!/usr/bin/env python3
"""schema: conformance fixture for the MCP conformance suite's json-schema-2020-12 scenario.

Serves ``json_schema_2020_12_tool``, whose input schema uses JSON Schema 2020-12 features that
must reach ``tools/list`` unchanged: ``$schema``, ``$defs`` with a ``$ref``,
``additionalProperties: false`` (SEP-1613, suite 0.1.16), and since suite 0.2.0 an ``$anchor``
in ``$defs``, ``allOf``/``anyOf`` and ``if``/``then``/``else`` (SEP-2106). The schema is the
suite's reference schema.

Contract v1 builds a tool's input schema from ``parameters``, which cannot express ``$schema``
or ``$defs``. So the command declares both:

- ``parameters``: what contract v1 gateways understand (``name`` a string, ``address`` an
  object passed as ``--address=<JSON>``);
- ``inputSchema``: the verbatim 2020-12 schema, a contract extension (unknown keys are allowed)
  for gateways that advertise a command's own schema as is.

The command echoes the arguments it received as ``{"result": {...}}``.

Standard library only; Python 3.9 or newer.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, Dict, List

INPUT_SCHEMA: Dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}

DESCRIBE: Dict[str, Any] = {
    "contract_version": "1.0",
    "plugin": {"name": "schema", "version": "1.0.0", "description": "Conformance fixture: a tool with a JSON Schema 2020-12 input schema"},
    "commands": [
        {
            "name": "json_schema_2020_12_tool",
            "description": "Tool with JSON Schema 2020-12 features",
            "parameters": [
                {"name": "name", "type": "string", "description": "A name"},
                {
                    "name": "address",
                    "type": "object",
                    "description": "A postal address",
                    "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
                },
                {"name": "contactMethod", "type": "string", "description": "How to reach the person", "enum": ["phone", "email"]},
                {"name": "phone", "type": "string", "description": "A phone number"},
                {"name": "email", "type": "string", "description": "An email address"},
            ],
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
    if argv[0] != "json_schema_2020_12_tool":
        return fail("unknown command %r; see --help" % argv[0])
    parser = argparse.ArgumentParser(prog="cli.py json_schema_2020_12_tool", add_help=False)
    parser.add_argument("--name")
    parser.add_argument("--address")
    for option in ("--contactMethod", "--phone", "--email"):
        parser.add_argument(option)
    args, unknown = parser.parse_known_args(argv[1:])
    if unknown:
        return fail("unexpected arguments: %s" % " ".join(unknown))
    received: Dict[str, Any] = {}
    for key, value in (("name", args.name), ("contactMethod", args.contactMethod), ("phone", args.phone), ("email", args.email)):
        if value is not None:
            received[key] = value
    if args.address is not None:
        try:
            received["address"] = json.loads(args.address)
        except ValueError as err:
            return fail("--address is not JSON: %s" % err)
        if not isinstance(received["address"], dict):
            return fail("--address must be a JSON object")
    print(json.dumps({"result": {"received": received}}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
