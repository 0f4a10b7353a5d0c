#!/usr/bin/env python3
"""botfather: post to a Telegram chat through the Telegram Bot API.

A Sanctum MCP plugin. Every command prints exactly one JSON object on stdout:
``{"result": ...}`` with exit status 0, or ``{"error": "..."}`` with exit status 1.

Configuration comes from the environment:

  TELEGRAM_BOT_TOKEN  (required) the bot token issued by @BotFather
  TELEGRAM_CHAT_ID    (required) numeric chat id, or @channelusername for public channels
  TELEGRAM_API_BASE   (optional) Bot API server, default https://api.telegram.org
  TELEGRAM_TIMEOUT    (optional) request timeout in seconds, default 15

Contract v1.1 adds the prompt ``announcement``: the gateway runs the ``announcement`` command
(not a tool, and it needs no Telegram configuration) with the prompt's arguments, and it prints
the messages that ask the model to draft a Telegram announcement within the Bot API's limits,
ready for ``send-message``.

``draft-reply`` drafts a reply with the client's own model (MCP sampling) and sends nothing: its
first run prints ``{"input_required": ...}`` with one sampling request (key ``draft``), and the
gateway runs it again with the model's answer on stdin (``{"responses": {"draft": ...}}``). It
needs a client that declared the sampling capability (``MCP_CLIENT_CAPABILITIES``), and no
Telegram configuration.

Standard library only; Python 3.9 or newer.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import sys
import urllib.error
import urllib.request
from typing import Any, Dict, List, NoReturn, Optional

PLUGIN_NAME = "botfather"
PLUGIN_VERSION = "1.0.0"
PLUGIN_DESCRIPTION = "Send messages to a Telegram chat through the Telegram Bot API"
CONTRACT_VERSION = "1.1"

DEFAULT_API_BASE = "https://api.telegram.org"
DEFAULT_TIMEOUT = 15.0
# The Bot API refuses longer messages ("message is too long").
MAX_MESSAGE_LENGTH = 4096

TONES = ["friendly", "formal", "urgent", "celebratory"]

DEFAULT_DRAFT_TOKENS = 300
MAX_DRAFT_TOKENS = 8192
MAX_TONE_LENGTH = 60
DRAFT_KEY = "draft"
DRAFT_SYSTEM_PROMPT = (
    "You draft Telegram replies on behalf of the user, who reviews each draft before sending it. "
    "Write plain text (no Markdown or HTML), at most %d characters, and answer with the reply "
    "only: no preamble, no quotation marks around it." % MAX_MESSAGE_LENGTH
)

# Contract v1.1: a prompt, rendered by the `announcement` command (an argparse subcommand, not a tool).
PROMPTS: List[Dict[str, Any]] = [
    {
        "name": "announcement",
        "title": "Telegram announcement",
        "description": "Draft an announcement for the Telegram chat from a topic and its details, ready for send-message",
        "arguments": [
            {"name": "topic", "description": "What the announcement is about, e.g. 'v2.4 is live'", "required": True},
            {"name": "details", "description": "Facts to include: dates, links, what changes for readers"},
            {"name": "audience", "description": "Who reads the chat, e.g. 'customers' or 'the on-call team'"},
            {"name": "tone", "description": "One of %s (default friendly)" % ", ".join(TONES), "complete": TONES},
        ],
        "command": "announcement",
    }
]

_TONE_GUIDE = {
    "friendly": "warm and plain, one emoji at most",
    "formal": "neutral and precise, no emoji",
    "urgent": "short sentences, the action first, no emoji",
    "celebratory": "upbeat, thank the people involved, two emoji at most",
}

# ---------------------------------------------------------------------------
# Command table: the single source for argparse (--help) and --describe.
# ---------------------------------------------------------------------------

COMMANDS: List[Dict[str, Any]] = [
    {
        "name": "click-button",
        "help": "Click a button on a message in the Telegram chat",
        "description": (
            "Press a reply-keyboard button: sends the button's text as a reply to message "
            "MSG_ID, which is how a user's reply-keyboard press appears in a chat. (The Bot API "
            "offers bots no way to press inline-keyboard buttons.)"
        ),
        "args": [
            {
                "name": "button-text",
                "type": "string",
                "required": True,
                "help": "Text of the button to press; sent verbatim as the reply's text",
            },
            {
                "name": "msg-id",
                "type": "integer",
                "required": True,
                "help": "message_id of the chat message that carries the keyboard (the reply target)",
            },
        ],
        "example": 'python cli.py click-button --button-text "Yes" --msg-id 42',
    },
    {
        "name": "send-message",
        "help": "Send a message to the Telegram chat",
        "description": (
            "Send a text message to the configured Telegram chat (TELEGRAM_CHAT_ID) and return "
            "the message_id Telegram assigned to it."
        ),
        "args": [
            {
                "name": "message",
                "type": "string",
                "required": True,
                "help": "Text of the message (1 to %d characters)" % MAX_MESSAGE_LENGTH,
            },
        ],
        "example": 'python cli.py send-message --message "hello"',
    },
    {
        "name": "draft-reply",
        "help": "Draft a reply to a message with the client's model (sends nothing)",
        "description": (
            "Draft a reply to MESSAGE with the client's language model (MCP sampling) and return the "
            "draft and the model that wrote it. Nothing is sent: review the draft, then send it with "
            "send-message. Needs a client that offers sampling; needs no Telegram configuration."
        ),
        "args": [
            {
                "name": "message",
                "type": "string",
                "required": True,
                "help": "Text of the message to reply to (1 to %d characters)" % MAX_MESSAGE_LENGTH,
            },
            {
                "name": "tone",
                "type": "string",
                "required": False,
                "default": "friendly",
                "help": "Tone of the reply: %s, or a few words of your own (at most %d characters)"
                % (", ".join(TONES), MAX_TONE_LENGTH),
            },
            {
                "name": "max-tokens",
                "type": "integer",
                "required": False,
                "default": DEFAULT_DRAFT_TOKENS,
                "help": "Most tokens the model may write for the draft (1 to %d)" % MAX_DRAFT_TOKENS,
            },
        ],
        "example": 'python cli.py draft-reply --message "Is the release still on for Friday?" --tone formal',
    },
]


class PluginError(Exception):
    """An expected failure, reported to the caller as {"error": message}."""


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------

_secrets: List[str] = []


def _redact(text: str) -> str:
    for secret in _secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return text


def _emit(payload: Dict[str, Any], status: int) -> NoReturn:
    text = json.dumps(payload)
    # Redact the serialised form too, in case JSON escaping changed the secret's spelling.
    for secret in list(_secrets):
        escaped = json.dumps(secret)[1:-1]
        if escaped != secret and escaped not in _secrets:
            _secrets.append(escaped)
    sys.stdout.write(_redact(text) + "\n")
    sys.stdout.flush()
    sys.exit(status)


def succeed(result: Any) -> NoReturn:
    _emit({"result": result}, 0)


def fail(message: str) -> NoReturn:
    _emit({"error": message}, 1)


# ---------------------------------------------------------------------------
# Argument parsing and self-description
# ---------------------------------------------------------------------------


def _option_help(arg: Dict[str, Any]) -> str:
    text = arg["help"]
    if arg.get("default") is not None:
        text += " (default: %s)" % arg["default"]
    return text


def _epilog() -> str:
    lines = ["Available commands:"]
    lines += ["  %s  %s" % (cmd["name"], cmd["help"]) for cmd in COMMANDS]
    lines += ["", "Examples:"]
    lines += ["  %s" % cmd["example"] for cmd in COMMANDS if cmd.get("example")]
    return "\n".join(lines) + "\n"


def _description() -> str:
    return "\n".join(
        [
            PLUGIN_DESCRIPTION + ".",
            "",
            "Environment:",
            "  TELEGRAM_BOT_TOKEN  bot token from @BotFather (required)",
            "  TELEGRAM_CHAT_ID    numeric chat id or @channelusername (required)",
            "  TELEGRAM_API_BASE   Bot API server (default %s)" % DEFAULT_API_BASE,
            "  TELEGRAM_TIMEOUT    request timeout in seconds (default %g)" % DEFAULT_TIMEOUT,
        ]
    )


def describe() -> Dict[str, Any]:
    commands = []
    for cmd in COMMANDS:
        params = []
        for arg in cmd["args"]:
            param: Dict[str, Any] = {
                "name": arg["name"],
                "type": arg["type"],
                "description": arg["help"],
                "required": bool(arg.get("required")),
            }
            if arg.get("default") is not None:
                param["default"] = arg["default"]
            if arg.get("choices"):
                param["enum"] = list(arg["choices"])
            params.append(param)
        commands.append({"name": cmd["name"], "description": cmd["description"], "parameters": params})
    return {
        "contract_version": CONTRACT_VERSION,
        "plugin": {"name": PLUGIN_NAME, "version": PLUGIN_VERSION, "description": PLUGIN_DESCRIPTION,
                   "env": ["TELEGRAM_*"]},
        "commands": commands,
        "prompts": PROMPTS,
    }


class _DescribeAction(argparse.Action):
    def __init__(self, option_strings: List[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, namespace: Any, values: Any, option_string: Any = None) -> None:
        sys.stdout.write(json.dumps(describe(), indent=2) + "\n")
        sys.stdout.flush()
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cli.py",
        description=_description(),
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )
    parser.add_argument("--describe", action=_DescribeAction, help="Print the plugin's commands as JSON and exit")
    sub = parser.add_subparsers(dest="command", metavar="<command>", help="Command to run")
    sub.required = True
    for cmd in COMMANDS:
        cmd_parser = sub.add_parser(
            cmd["name"],
            help=cmd["help"],
            description=cmd["description"],
            allow_abbrev=False,
        )
        for arg in cmd["args"]:
            kwargs: Dict[str, Any] = {
                "dest": arg["name"].replace("-", "_"),
                "help": _option_help(arg),
                "required": bool(arg.get("required")),
            }
            if arg["type"] == "integer":
                kwargs.update(type=int, metavar="INT")
            elif arg["type"] == "number":
                kwargs.update(type=float, metavar="FLOAT")
            elif arg["type"] == "boolean":
                kwargs.update(action="store_true")
            if arg.get("choices"):
                kwargs["choices"] = list(arg["choices"])
            if arg.get("default") is not None:
                kwargs["default"] = arg["default"]
            cmd_parser.add_argument("--" + arg["name"], **kwargs)
    announcement = sub.add_parser("announcement", help="(prompt announcement) the messages that draft an announcement")
    announcement.add_argument("--topic", required=True)
    announcement.add_argument("--details", default="")
    announcement.add_argument("--audience", default="")
    announcement.add_argument("--tone", default="friendly")
    return parser


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------


class Config:
    def __init__(self, token: str, chat_id: Any, api_base: str, timeout: float) -> None:
        self.token = token
        self.chat_id = chat_id
        self.api_base = api_base
        self.timeout = timeout


def load_config(environ: Dict[str, str]) -> Config:
    token = environ.get("TELEGRAM_BOT_TOKEN", "").strip()
    chat = environ.get("TELEGRAM_CHAT_ID", "").strip()
    if token:
        _secrets.append(token)
    missing = [name for name, value in (("TELEGRAM_BOT_TOKEN", token), ("TELEGRAM_CHAT_ID", chat)) if not value]
    if missing:
        raise PluginError(
            "botfather is not configured: set TELEGRAM_BOT_TOKEN and TELEGRAM_CHAT_ID in the environment "
            "(missing: %s). TELEGRAM_BOT_TOKEN is the token @BotFather gave your bot; TELEGRAM_CHAT_ID is "
            "the numeric id of the chat to post to (or @channelusername for a public channel)."
            % ", ".join(missing)
        )
    if re.search(r"[\s/?#%]", token):
        raise PluginError(
            "TELEGRAM_BOT_TOKEN is malformed: it contains whitespace or one of / ? # %. "
            "Copy the token exactly as @BotFather gave it (it looks like 123456789:AA...)."
        )

    chat_id: Any
    if re.fullmatch(r"-?[0-9]+", chat):
        chat_id = int(chat)
    elif re.fullmatch(r"@[A-Za-z][A-Za-z0-9_]{3,}", chat):
        chat_id = chat
    else:
        raise PluginError(
            "TELEGRAM_CHAT_ID %r is not a chat id: use the numeric id (e.g. 123456789, or "
            "-1001234567890 for a supergroup) or a public channel's @username." % chat
        )

    api_base = environ.get("TELEGRAM_API_BASE", "").strip() or DEFAULT_API_BASE
    if not re.match(r"^https?://[^/\s]+", api_base):
        raise PluginError(
            "TELEGRAM_API_BASE %r is not an http(s) URL: set it to a Bot API server such as %s "
            "or unset it." % (api_base, DEFAULT_API_BASE)
        )
    api_base = api_base.rstrip("/")

    raw_timeout = environ.get("TELEGRAM_TIMEOUT", "").strip()
    timeout = DEFAULT_TIMEOUT
    if raw_timeout:
        try:
            timeout = float(raw_timeout)
        except ValueError:
            timeout = -1.0
        if not (0 < timeout <= 3600):
            raise PluginError(
                "TELEGRAM_TIMEOUT %r is not a valid timeout: give a number of seconds between 0 and 3600 "
                "(default %g)." % (raw_timeout, DEFAULT_TIMEOUT)
            )
    return Config(token, chat_id, api_base, timeout)


# ---------------------------------------------------------------------------
# Bot API client
# ---------------------------------------------------------------------------


def _snippet(body: bytes) -> str:
    text = body.decode("utf-8", errors="replace").strip()
    text = re.sub(r"\s+", " ", text)
    return text[:200] + ("..." if len(text) > 200 else "")


def _api_error(payload: Dict[str, Any], http_status: Optional[int]) -> PluginError:
    code = payload.get("error_code", http_status)
    description = payload.get("description") or "no description given"
    message = "Telegram API error %s: %s" % (code, description)
    params = payload.get("parameters") if isinstance(payload.get("parameters"), dict) else {}
    if params.get("retry_after") is not None:
        message += " (rate limited: retry after %s seconds)" % params["retry_after"]
    if params.get("migrate_to_chat_id") is not None:
        message += " (the group became a supergroup: set TELEGRAM_CHAT_ID=%s)" % params["migrate_to_chat_id"]
    if code in (401, 404) and "chat" not in str(description).lower():
        message += " (check TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE)"
    return PluginError(message)


def call_api(config: Config, method: str, body: Dict[str, Any]) -> Dict[str, Any]:
    """POST ``body`` as JSON to Bot API ``method`` and return its ``result`` object."""
    url = "%s/bot%s/%s" % (config.api_base, config.token, method)
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        headers={
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": "sanctum-mcp-botfather/%s" % PLUGIN_VERSION,
        },
        method="POST",
    )
    where = "the Telegram Bot API at %s" % config.api_base
    http_status: Optional[int] = None
    try:
        with urllib.request.urlopen(request, timeout=config.timeout) as response:
            http_status = response.status
            raw = response.read()
    except urllib.error.HTTPError as err:
        http_status = err.code
        try:
            raw = err.read()
        except (OSError, http.client.HTTPException):
            raw = b""
        finally:
            err.close()
        try:
            payload = json.loads(raw.decode("utf-8"))
        except ValueError:
            payload = None
        if isinstance(payload, dict) and "ok" in payload:
            raise _api_error(payload, http_status)
        raise PluginError(
            "%s answered HTTP %d %s%s. Check TELEGRAM_API_BASE points at a Bot API server."
            % (where[0].upper() + where[1:], err.code, err.reason,
               (" with a non-Bot-API body: %s" % _snippet(raw)) if raw else "")
        )
    except urllib.error.URLError as err:
        reason = err.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise PluginError(
                "no answer from %s within %g seconds; check the network or raise TELEGRAM_TIMEOUT."
                % (where, config.timeout)
            )
        raise PluginError(
            "could not reach %s: %s. Check TELEGRAM_API_BASE and your network connection." % (where, reason)
        )
    except (socket.timeout, TimeoutError):
        raise PluginError(
            "no answer from %s within %g seconds; check the network or raise TELEGRAM_TIMEOUT."
            % (where, config.timeout)
        )
    except (OSError, http.client.HTTPException) as err:
        raise PluginError(
            "the connection to %s failed: %s. Check TELEGRAM_API_BASE and your network connection."
            % (where, err or type(err).__name__)
        )

    try:
        payload = json.loads(raw.decode("utf-8"))
    except ValueError:
        raise PluginError(
            "%s answered HTTP %s with a body that is not JSON: %s. Check TELEGRAM_API_BASE points at "
            "a Bot API server." % (where[0].upper() + where[1:], http_status, _snippet(raw) or "(empty)")
        )
    if not isinstance(payload, dict) or "ok" not in payload:
        raise PluginError(
            "%s answered with JSON that is not a Bot API response (no \"ok\" field): %s"
            % (where[0].upper() + where[1:], _snippet(raw))
        )
    if payload.get("ok") is not True:
        raise _api_error(payload, http_status)
    result = payload.get("result")
    if not isinstance(result, dict):
        raise PluginError("Telegram API %s returned no message object: %s" % (method, _snippet(raw)))
    return result


def _message_summary(message: Dict[str, Any]) -> Dict[str, Any]:
    chat = message.get("chat") if isinstance(message.get("chat"), dict) else {}
    if "message_id" not in message:
        raise PluginError("Telegram API returned a message without message_id: %s" % json.dumps(message)[:200])
    return {"message_id": message["message_id"], "chat_id": chat.get("id"), "text": message.get("text")}


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------


def _check_text(value: str, option: str) -> str:
    if not value.strip():
        raise PluginError("%s is empty: give the text to send." % option)
    if len(value) > MAX_MESSAGE_LENGTH:
        raise PluginError(
            "%s is %d characters long; Telegram accepts at most %d. Shorten it or split it into "
            "several messages." % (option, len(value), MAX_MESSAGE_LENGTH)
        )
    return value


def cmd_send_message(args: argparse.Namespace, config: Config) -> Dict[str, Any]:
    text = _check_text(args.message, "--message")
    message = call_api(config, "sendMessage", {"chat_id": config.chat_id, "text": text})
    return _message_summary(message)


def cmd_click_button(args: argparse.Namespace, config: Config) -> Dict[str, Any]:
    text = _check_text(args.button_text, "--button-text")
    if args.msg_id <= 0:
        raise PluginError("--msg-id must be a positive Telegram message_id, got %d." % args.msg_id)
    message = call_api(
        config,
        "sendMessage",
        {"chat_id": config.chat_id, "text": text, "reply_parameters": {"message_id": args.msg_id}},
    )
    summary = _message_summary(message)
    replied = message.get("reply_to_message")
    reply_to = replied.get("message_id") if isinstance(replied, dict) else None
    return {
        "message_id": summary["message_id"],
        "chat_id": summary["chat_id"],
        "reply_to_message_id": reply_to if reply_to is not None else args.msg_id,
        "text": summary["text"],
    }


HANDLERS = {
    "click-button": cmd_click_button,
    "send-message": cmd_send_message,
}


# ---------------------------------------------------------------------------
# Input rounds: asking the client (draft-reply)
# ---------------------------------------------------------------------------


def client_capabilities() -> Dict[str, Any]:
    """The capabilities the MCP client declared, as the gateway passes them; {} when unknown."""
    try:
        value = json.loads(os.environ.get("MCP_CLIENT_CAPABILITIES") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def client_answers() -> Optional[Dict[str, Any]]:
    """The answers of an input round from stdin, or None on a first run (stdin empty)."""
    if sys.stdin is None or sys.stdin.isatty():
        return None
    raw = sys.stdin.read()
    if not raw.strip():
        return None
    try:
        document = json.loads(raw)
    except ValueError as err:
        raise PluginError("stdin does not hold the answers of an input round (not JSON: %s)." % err)
    if not isinstance(document, dict) or not isinstance(document.get("responses"), dict):
        raise PluginError('stdin does not hold the answers of an input round: expected {"responses": {...}, "state": ...}.')
    return {"responses": document["responses"], "state": document.get("state")}


def _tone_instruction(raw: str) -> str:
    tone = raw.strip()
    if not tone or tone.lower() in _TONE_GUIDE:
        tone = tone.lower() or "friendly"
        return "Tone: %s (%s)." % (tone, _TONE_GUIDE[tone])
    if len(tone) > MAX_TONE_LENGTH or not tone.isprintable():
        raise PluginError(
            "--tone must be one of %s or a few words on one line (at most %d characters), got %d characters."
            % (", ".join(TONES), MAX_TONE_LENGTH, len(tone))
        )
    return "Tone: %s." % tone


def draft_request(args: argparse.Namespace) -> Dict[str, Any]:
    text = _check_text(args.message, "--message")
    if not 1 <= args.max_tokens <= MAX_DRAFT_TOKENS:
        raise PluginError("--max-tokens must be between 1 and %d, got %d." % (MAX_DRAFT_TOKENS, args.max_tokens))
    instruction = "\n".join(
        [
            "Draft a reply to this Telegram message.",
            _tone_instruction(args.tone),
            "",
            "The message:",
            text,
        ]
    )
    return {
        "sampling": {
            "messages": [{"role": "user", "content": {"type": "text", "text": instruction}}],
            "systemPrompt": DRAFT_SYSTEM_PROMPT,
            "maxTokens": args.max_tokens,
            "includeContext": "none",
        }
    }


def _draft_from(answer: Any) -> Dict[str, Any]:
    """The draft of a CreateMessageResult (content: one block, or a list of blocks)."""
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        raise PluginError(
            "the client's model could not draft a reply: %s (code %s)."
            % (answer["error"].get("message", "no message"), answer["error"].get("code", "none"))
        )
    if not isinstance(answer, dict) or "content" not in answer:
        raise PluginError("the sampling answer is not a CreateMessageResult (it has no content): %s" % json.dumps(answer)[:200])
    content = answer["content"]
    blocks = content if isinstance(content, list) else [content]
    texts = [b["text"] for b in blocks if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)]
    if texts and not "".join(texts).strip():
        raise PluginError("the client's model wrote an empty draft; ask again.")
    if not texts:
        kinds = sorted({str(b.get("type")) for b in blocks if isinstance(b, dict)}) or ["nothing"]
        raise PluginError(
            "the client's model answered with %s content, not text: draft-reply needs a text draft. "
            "Ask again, or use a model that writes text." % " and ".join(kinds)
        )
    model = answer.get("model")
    return {"draft": "".join(texts).strip(), "model": model if isinstance(model, str) else None}


def cmd_draft_reply(args: argparse.Namespace) -> Any:
    """A draft from the client's model, or the request for one: never a Bot API call."""
    request = draft_request(args)
    answers = client_answers()
    if answers is not None and DRAFT_KEY in answers["responses"]:
        return _draft_from(answers["responses"][DRAFT_KEY])
    if "sampling" not in client_capabilities():
        raise PluginError(
            "draft-reply needs a client that offers sampling (the sampling capability); this client declared none"
        )
    # A first run, or answers without ours: ask (again).
    return {"input_required": {"requests": {DRAFT_KEY: request}}}


def cmd_announcement(args: argparse.Namespace) -> Dict[str, Any]:
    """The prompt's messages (printed as they are, not as a result): no Bot API call, no configuration."""
    topic = args.topic.strip()
    if not topic:
        raise PluginError("--topic is empty; say what the announcement is about.")
    tone = args.tone.strip().lower() or "friendly"
    if tone not in _TONE_GUIDE:
        raise PluginError("--tone %r is not one of %s." % (args.tone, ", ".join(TONES)))
    lines = [
        "Draft a Telegram announcement about: %s." % topic,
        "Readers: %s." % (args.audience.strip() or "the members of the chat"),
        "Tone: %s (%s)." % (tone, _TONE_GUIDE[tone]),
    ]
    if args.details.strip():
        lines.append("Include these facts, and nothing you cannot support from them: %s" % args.details.strip())
    lines += [
        "",
        "Constraints: plain text (the message is sent without parse_mode, so no Markdown or HTML), at most %d "
        "characters, the most important line first, a clear next step for the reader at the end." % MAX_MESSAGE_LENGTH,
        "Answer with the message text only; it will be sent as is with the botfather send-message tool.",
    ]
    return {
        "description": "Telegram announcement: %s" % topic,
        "messages": [{"role": "user", "content": {"type": "text", "text": "\n".join(lines)}}],
    }


def main(argv: Optional[List[str]] = None) -> NoReturn:
    args = build_parser().parse_args(argv)
    if args.command == "draft-reply":
        try:
            outcome = cmd_draft_reply(args)
        except PluginError as err:
            fail(str(err))
        if "input_required" in outcome:
            _emit(outcome, 0)
        succeed(outcome)
    if args.command == "announcement":
        try:
            sys.stdout.write(json.dumps(cmd_announcement(args)) + "\n")
            sys.stdout.flush()
            sys.exit(0)
        except PluginError as err:
            fail(str(err))
    try:
        config = load_config(dict(os.environ))
        succeed(HANDLERS[args.command](args, config))
    except PluginError as err:
        fail(str(err))
    except Exception as err:  # noqa: BLE001 - report, never dump a traceback that could hold the token
        fail("botfather failed unexpectedly (%s): %s" % (type(err).__name__, err))


if __name__ == "__main__":
    main()
