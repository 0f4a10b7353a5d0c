#!/usr/bin/env python3
"""Regenerate the argparse help fixtures read by help-parser.spec.ts.

Standard library only. The tests never run Python: they read the .txt files written here.

    python3.11 make_fixtures.py   # the main set (Python 3.10+ prints "options:")
    python3.13 make_fixtures.py   # adds the *_py313.txt set (3.13 prints "-m, --message MESSAGE")

Each fixture is formatted with the terminal width the test relies on (COLUMNS=80, and 60 for the
*_narrow ones, to force wrapping). send_legacy_headings.txt is NOT written here: it is a copy of
send.txt with "options:" changed to "optional arguments:" by hand (the Python <= 3.9 heading).
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

TOP_EPILOG = """\
Available commands:
  send        Send a message to a channel
  list-items  List the items of a store, optionally filtered by tag; this
              description is long enough to wrap onto a second line
  upload      Upload files with credentials
  tag         Tag items
  stats

Examples:
  cli.py send --to ops -m "deploy finished"
  cli.py list-items main --tag red blue
"""

UPLOAD_DESCRIPTION = """\
Upload one file to the storage service.

The file is streamed; nothing is kept locally.
"""

CONVERT_DESCRIPTION = """\
Convert an image.

Notes:
  - metadata is kept
  - dst is overwritten
"""

UPLOAD_EPILOG = """\
Examples:
  cli.py upload report.pdf /reports/
"""


def build(prog="cli.py"):
    """The whole demo plugin: top-level parser plus one subparser per command."""
    top = argparse.ArgumentParser(
        prog=prog,
        description="Demo plugin exercising the argparse features discovery must read.",
        epilog=TOP_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument("--version", action="version", version="1.0")
    sub = top.add_subparsers(dest="command", metavar="COMMAND")
    commands = {}

    # send: required options, choices, flags, INT metavar, help hints, only-short options.
    send = sub.add_parser(
        "send",
        help="Send a message to a channel",
        description=(
            "Send a message to a channel of the chat service. The message is delivered at once "
            "unless the channel is muted; the command prints the id of the new message."
        ),
    )
    send.add_argument("--to", required=True, help="Channel to post to")
    send.add_argument("-m", "--message", required=True, help="Message body")
    send.add_argument("--priority", choices=["low", "normal", "high"], help="Delivery priority")
    send.add_argument("--level", type=int, choices=[1, 2, 3], help="Importance level")
    send.add_argument("--urgent", action="store_true", help="Mark the message as urgent")
    send.add_argument("--no-color", action="store_false", dest="color", help="Disable colours")
    send.add_argument("--retries", type=int, metavar="INT", help="How many times to retry")
    send.add_argument("--timeout", type=float, metavar="SECONDS", help="Timeout in seconds (float)")
    send.add_argument("--count", type=int, metavar="N", help="Copies to send")
    send.add_argument(
        "--button-text",
        help=(
            "Text of the action button shown under the message; long enough that argparse has "
            "to wrap it over several lines"
        ),
    )
    send.add_argument("--attachment-content-type-override", metavar="MIME", help="MIME type to force")
    send.add_argument("--thread")
    send.add_argument("-v", action="count", default=0, help="More output (repeatable)")
    send.add_argument("-q", action="store_true", help="Quiet")
    send.add_argument("-r", metavar="RATIO", help="Sampling ratio (number)")
    commands["send"] = send

    # list-items: nargs variants, positionals, ArgumentDefaultsHelpFormatter.
    items = sub.add_parser(
        "list-items",
        help="List the items of a store",
        description="List the items of a store.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    items.add_argument("store", help="Store to read")
    items.add_argument("paths", nargs="*", help="Only items under these paths")
    items.add_argument("-t", "--tag", nargs="+", default=["a", "b"], help="Tags to match")
    items.add_argument("--exclude", nargs="*", help="Tags to leave out")
    items.add_argument("--ids", nargs="+", type=int, metavar="INT", help="Item ids")
    items.add_argument("--point", nargs=2, metavar=("X", "Y"), type=float, help="Anchor point (float)")
    items.add_argument("--size", nargs=2, type=int, metavar="INTEGER", help="Width and height")
    items.add_argument("--limit", type=int, default=20, metavar="INT", help="Maximum items")
    items.add_argument("--ratio", type=float, default=0.5, metavar="FLOAT", help="Sampling ratio")
    items.add_argument("--sort", choices=["name", "date"], default="name", help="Sort key")
    items.add_argument("--format", help="Output format")
    items.add_argument("--dry-run", action="store_true", help="Only print what would happen")
    items.add_argument("--label", default="all items", help="Label of the listing")
    items.add_argument("--page", nargs="?", const=1, type=int, metavar="INT", help="Page to show")
    commands["list-items"] = items

    # upload: argument groups, mutually exclusive groups, optional/choice positionals, raw description.
    upload = sub.add_parser(
        "upload",
        help="Upload files with credentials",
        description=UPLOAD_DESCRIPTION,
        epilog=UPLOAD_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    upload.add_argument("source", help="File to upload")
    upload.add_argument("destination", nargs="?", help="Remote folder")
    upload.add_argument("mode", choices=["fast", "safe"], help="Transfer mode")
    upload.add_argument("parts", nargs=2, type=int, metavar="PART", help="First and last part (int)")
    auth = upload.add_argument_group("authentication", "Credentials used to reach the storage service.")
    auth.add_argument("-k", required=True, metavar="KEY", help="API key")
    auth.add_argument("--user", help="User name")
    transfer = upload.add_argument_group("transfer options")
    transfer.add_argument("-f", action="store_true", help="Overwrite")
    transfer.add_argument("--verify", action=argparse.BooleanOptionalAction, help="Check the upload")
    visibility = upload.add_mutually_exclusive_group(required=True)
    visibility.add_argument("--public", action="store_true", help="Anyone can read it")
    visibility.add_argument("--private", action="store_true", help="Only you can read it")
    output = upload.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="JSON output")
    output.add_argument("--yaml", action="store_true", help="YAML output")
    commands["upload"] = upload

    # tag: upper-case positional metavars, nargs '+' positional, no help texts.
    tag = sub.add_parser("tag", help="Tag items", description="Tag items.")
    tag.add_argument("name", metavar="NAME")
    tag.add_argument("targets", metavar="TARGET", nargs="+")
    tag.add_argument("--colour", "--color", dest="colour", metavar="COLOUR")
    commands["tag"] = tag

    # convert: no -h, a positional in a custom group declared before the default-group one (the
    # usage gives the real order), a required option in a group, a raw description with a list.
    convert = sub.add_parser(
        "convert",
        add_help=False,
        description=CONVERT_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inputs = convert.add_argument_group("inputs")
    inputs.add_argument("src", help="Image to read")
    convert.add_argument("dst", help="Image to write")
    settings = convert.add_argument_group("settings")
    settings.add_argument("--quality", type=int, required=True, metavar="INT", help="JPEG quality")
    commands["convert"] = convert

    # greet: no options at all, so the usage has nothing but the prog and a positional.
    greet = sub.add_parser("greet", add_help=False)
    greet.add_argument("name", help="Who to greet")
    commands["greet"] = greet

    # stats: nothing but -h, no description.
    commands["stats"] = sub.add_parser("stats", help="")
    return top, commands


def render(columns, which, prog="cli.py"):
    os.environ["COLUMNS"] = str(columns)  # read by HelpFormatter when it is created
    top, commands = build(prog)
    return (top if which == "top" else commands[which]).format_help()


def write(name, text):
    with open(os.path.join(HERE, name + ".txt"), "w", newline="\n") as f:
        f.write(text)
    print("wrote", name + ".txt")


def main():
    if sys.version_info[:2] >= (3, 13):
        write("send_py313", render(80, "send"))
        write("list_items_py313", render(80, "list-items"))
        return
    if sys.version_info[:2] < (3, 10):
        sys.exit("run with Python 3.10+ (3.11 is the reference) for the main set, or 3.13")
    write("top", render(80, "top"))
    write("top_plain", render(80, "top").split("Available commands:")[0].rstrip() + "\n")
    write("send", render(80, "send"))
    write("send_narrow", render(60, "send"))
    write("list_items", render(80, "list-items"))
    write("list_items_narrow", render(60, "list-items"))
    write("upload", render(80, "upload"))
    write("tag", render(80, "tag"))
    write("convert", render(80, "convert"))
    write("greet", render(80, "greet"))
    write("stats", render(80, "stats"))
    # A long prog pushes the usage continuation onto its own indentation.
    write("send_long_prog", render(80, "send", prog="very-long-plugin-entry-point-name.py"))


if __name__ == "__main__":
    main()
