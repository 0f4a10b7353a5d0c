#!/usr/bin/env python3
"""content: conformance fixture whose tools return MCP content blocks.

Serves the tools the MCP conformance suite calls in its tools-call-simple-text, tools-call-image,
tools-call-audio, tools-call-embedded-resource and tools-call-mixed-content scenarios. Each command
prints ``{"content": [...]}``, which the gateway passes through as the tool result's content.

The image (a 1x1 red PNG) and the audio (0.05 s of a 440 Hz tone, 8 kHz mono 16-bit WAV) are built
here with the standard library, so no binary file is checked in.

Standard library only; Python 3.9 or newer.
"""

from __future__ import annotations

import base64
import io
import json
import math
import struct
import sys
import wave
import zlib
from typing import Any, Callable, Dict, List

DESCRIBE: Dict[str, Any] = {
    "contract_version": "1.0",
    "plugin": {"name": "content", "version": "1.0.0", "description": "Conformance fixture: tools that return MCP content blocks"},
    "commands": [
        {"name": "test_simple_text", "description": "Return one text content block", "parameters": []},
        {"name": "test_image_content", "description": "Return one image content block (a 1x1 red PNG)", "parameters": []},
        {"name": "test_audio_content", "description": "Return one audio content block (a short WAV tone)", "parameters": []},
        {"name": "test_embedded_resource", "description": "Return one embedded text resource", "parameters": []},
        {"name": "test_multiple_content_types", "description": "Return text, image and embedded resource blocks together", "parameters": []},
    ],
}


def png_red_pixel() -> bytes:
    """A valid 1x1 RGB PNG whose only pixel is pure red."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # width, height, bit depth 8, RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")  # filter byte 0, then R G B
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def wav_tone() -> bytes:
    """0.05 s of a 440 Hz sine wave: 8 kHz, mono, 16-bit PCM."""
    rate = 8000
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(rate // 20))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def image_block() -> Dict[str, Any]:
    return {"type": "image", "data": b64(png_red_pixel()), "mimeType": "image/png"}


def test_simple_text() -> List[Dict[str, Any]]:
    return [{"type": "text", "text": "This is a simple text response for testing."}]


def test_image_content() -> List[Dict[str, Any]]:
    return [image_block()]


def test_audio_content() -> List[Dict[str, Any]]:
    return [{"type": "audio", "data": b64(wav_tone()), "mimeType": "audio/wav"}]


def test_embedded_resource() -> List[Dict[str, Any]]:
    return [
        {
            "type": "resource",
            "resource": {"uri": "test://embedded-resource", "mimeType": "text/plain", "text": "This is an embedded resource content."},
        }
    ]


def test_multiple_content_types() -> List[Dict[str, Any]]:
    return [
        {"type": "text", "text": "Multiple content types test:"},
        image_block(),
        {
            "type": "resource",
            "resource": {
                "uri": "test://mixed-content-resource",
                "mimeType": "application/json",
                "text": json.dumps({"test": "data", "value": 123}, separators=(",", ":")),
            },
        },
    ]


HANDLERS: Dict[str, Callable[[], List[Dict[str, Any]]]] = {
    "test_simple_text": test_simple_text,
    "test_image_content": test_image_content,
    "test_audio_content": test_audio_content,
    "test_embedded_resource": test_embedded_resource,
    "test_multiple_content_types": test_multiple_content_types,
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
