#!/usr/bin/env python3
"""devops: a deployment ledger kept in a JSON state file.

A Sanctum MCP plugin. It records deployments and rollbacks of applications per environment and
answers which version is current. It does not ship code anywhere itself: it is the book-keeping
a deployment pipeline (or an agent) writes to and reads from.

Every command prints exactly one JSON object on stdout: ``{"result": ...}`` with exit status 0,
or ``{"error": "..."}`` with exit status 1.

A deployment to production asks the user to confirm it first when the client can ask (its
``MCP_CLIENT_CAPABILITIES`` declare ``elicitation``): the first run prints
``{"input_required": ...}`` with one elicitation (key ``confirm``) and a state naming the
deployment; the gateway asks the user and runs the same command again with
``{"responses": {...}, "state": ...}`` on stdin. Only an accepted confirmation, whose state matches
the arguments, writes the ledger. A client that cannot ask gets the deployment unconfirmed, and
says so in the result.

Contract v1.1 adds, beside the tools: each application's deployment history as the resource
template ``devops://apps/{app}/history`` (JSON, printed by the ``history`` command), the prompt
``rollback-plan`` (a plan built from the ledger: what is live, what to return to, the steps), and
completions of application names from the ledger (``complete-app``). Those three commands are not
tools; the gateway runs them for resources/read, prompts/get and completion/complete.

State file location, first match wins:

  1. $DEVOPS_STATE_FILE
  2. $DEVOPS_STATE_DIR/devops-state.json
  3. $XDG_STATE_HOME/sanctum-mcp/devops-state.json
  4. ~/.local/state/sanctum-mcp/devops-state.json

Writers hold an exclusive lock on ``<state file>.lock`` for the whole read-modify-write and
replace the file atomically, so concurrent calls never lose an entry. A state file that cannot be
read as a ledger is reported and left untouched.

Standard library only; Python 3.9 or newer; POSIX (uses fcntl.flock).
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any, Dict, Iterator, List, NoReturn, Optional

try:
    import fcntl
except ImportError:  # pragma: no cover - non-POSIX platforms
    fcntl = None  # type: ignore[assignment]

PLUGIN_NAME = "devops"
PLUGIN_VERSION = "1.0.0"
PLUGIN_DESCRIPTION = "Record deployments and rollbacks of applications and report what is deployed where"
CONTRACT_VERSION = "1.1"

ENVIRONMENTS = ["development", "staging", "production"]
DEFAULT_ENVIRONMENT = "production"
FIRST_VERSION = "1.0.0"
STATE_FILE_NAME = "devops-state.json"
STATE_FORMAT = 1
LOCK_TIMEOUT_SECONDS = 30.0

APP_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MAX_VERSION_LENGTH = 64

# ---------------------------------------------------------------------------
# Command table: the single source for argparse (--help) and --describe.
# ---------------------------------------------------------------------------

_APP_ARG = {
    "name": "app-name",
    "type": "string",
    "required": True,
    "help": "Application name: 1-64 characters, letters, digits, '.', '_' or '-', starting with a letter or digit",
}

COMMANDS: List[Dict[str, Any]] = [
    {
        "name": "deploy",
        "help": "Record a deployment of an application version to an environment",
        "description": (
            "Record a deployment of APP_NAME at VERSION to ENVIRONMENT and make it the current version "
            "there. Without --version the next version is derived from the last one deployed to that "
            "environment by incrementing its trailing number (1.2.3 -> 1.2.4, v7 -> v8), skipping "
            "versions already deployed there; the first deployment defaults to %s. A deployment to "
            "production asks the user to confirm it first when the client can answer (elicitation); "
            "declined or cancelled, nothing is recorded. A client that cannot ask gets the deployment "
            "recorded unconfirmed (\"confirmed\": false in the result)." % FIRST_VERSION
        ),
        "args": [
            _APP_ARG,
            {
                "name": "environment",
                "type": "string",
                "required": False,
                "default": DEFAULT_ENVIRONMENT,
                "choices": ENVIRONMENTS,
                "help": "Target environment",
            },
            {
                "name": "version",
                "type": "string",
                "required": False,
                "help": (
                    "Version to deploy (1-%d characters, no whitespace); omit to increment the last "
                    "deployed version, or %s for a first deployment" % (MAX_VERSION_LENGTH, FIRST_VERSION)
                ),
            },
        ],
        "example": "python cli.py deploy --app-name shop-api --environment staging --version 2.4.0",
    },
    {
        "name": "rollback",
        "help": "Roll an application back to a previously deployed version",
        "description": (
            "Make VERSION, which must have been deployed to ENVIRONMENT before, the current version of "
            "APP_NAME there again, and record the rollback in the ledger."
        ),
        "args": [
            _APP_ARG,
            {
                "name": "version",
                "type": "string",
                "required": True,
                "help": "Previously deployed version to return to",
            },
            {
                "name": "environment",
                "type": "string",
                "required": False,
                "default": DEFAULT_ENVIRONMENT,
                "choices": ENVIRONMENTS,
                "help": "Environment to roll back",
            },
        ],
        "example": "python cli.py rollback --app-name shop-api --version 2.3.1",
    },
    {
        "name": "status",
        "help": "Show the current version of an application per environment",
        "description": (
            "Report the current version, the time it went live and the number of ledger entries of "
            "APP_NAME in ENVIRONMENT, or in every environment it was deployed to when --environment is "
            "omitted. An application that was never deployed is not an error: the result says "
            "\"deployed\": false."
        ),
        "args": [
            _APP_ARG,
            {
                "name": "environment",
                "type": "string",
                "required": False,
                "choices": ENVIRONMENTS,
                "help": "Environment to report (default: all environments)",
            },
        ],
        "example": "python cli.py status --app-name shop-api",
    },
]


# Contract v1.1: the resource template, the prompt and the completion they use. The commands they
# name are argparse subcommands too, but not tools.
_APP_COMPLETION = {"command": "complete-app"}

RESOURCE_TEMPLATES: List[Dict[str, Any]] = [
    {
        "uriTemplate": "devops://apps/{app}/history",
        "name": "deployment-history",
        "title": "Deployment history",
        "description": "Every deployment and rollback of one application, per environment, oldest first",
        "mimeType": "application/json",
        "command": "history",
        "complete": {"app": _APP_COMPLETION},
    }
]

PROMPTS: List[Dict[str, Any]] = [
    {
        "name": "rollback-plan",
        "title": "Rollback plan",
        "description": (
            "A rollback plan for one application in one environment, from the ledger: the live version, "
            "the version to return to, what changed in between, the steps and the checks"
        ),
        "arguments": [
            {"name": "app", "description": "Application name, as deployed", "required": True, "complete": _APP_COMPLETION},
            {"name": "environment", "description": "Environment (default: %s)" % DEFAULT_ENVIRONMENT, "complete": ENVIRONMENTS},
        ],
        "command": "rollback-plan",
    }
]


class PluginError(Exception):
    """An expected failure, reported to the caller as {"error": message}."""


class AskClient:
    """A command's request for input from the client: printed as {"input_required": ...}."""

    def __init__(self, requests: Dict[str, Any], state: Any) -> None:
        self.requests = requests
        self.state = state

    def document(self) -> Dict[str, Any]:
        return {"input_required": {"requests": self.requests, "state": self.state}}


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def _emit(payload: Dict[str, Any], status: int) -> NoReturn:
    sys.stdout.write(json.dumps(payload) + "\n")
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


def _description() -> str:
    return "\n".join(
        [
            PLUGIN_DESCRIPTION + ".",
            "",
            "State file (first match wins):",
            "  $DEVOPS_STATE_FILE",
            "  $DEVOPS_STATE_DIR/%s" % STATE_FILE_NAME,
            "  $XDG_STATE_HOME/sanctum-mcp/%s" % STATE_FILE_NAME,
            "  ~/.local/state/sanctum-mcp/%s" % STATE_FILE_NAME,
        ]
    )


def _epilog() -> str:
    lines = ["Available commands:"]
    lines += ["  %s  %s" % (cmd["name"], cmd["help"]) for cmd in COMMANDS]
    lines += ["", "Examples:"]
    lines += ["  %s" % cmd["example"] for cmd in COMMANDS if cmd.get("example")]
    return "\n".join(lines) + "\n"


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
                   "env": ["DEVOPS_*", "XDG_STATE_HOME"]},
        "commands": commands,
        "resource_templates": RESOURCE_TEMPLATES,
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
        cmd_parser = sub.add_parser(cmd["name"], help=cmd["help"], description=cmd["description"], allow_abbrev=False)
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
    history = sub.add_parser("history", help="(resource devops://apps/{app}/history) the ledger of one application as JSON")
    history.add_argument("--uri", required=True)
    history.add_argument("--app", required=True)
    plan = sub.add_parser("rollback-plan", help="(prompt rollback-plan) a rollback plan built from the ledger")
    plan.add_argument("--app", required=True)
    plan.add_argument("--environment", choices=ENVIRONMENTS, default=DEFAULT_ENVIRONMENT)
    complete = sub.add_parser("complete-app", help="(completion) application names of the ledger starting with --value")
    complete.add_argument("--argument", required=True)
    complete.add_argument("--value", default="")
    complete.add_argument("--environment", choices=ENVIRONMENTS)
    complete.add_argument("--uri")
    return parser


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def check_app_name(name: str) -> str:
    if not APP_NAME_RE.match(name):
        raise PluginError(
            "invalid app name %r: use 1-64 characters from letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (e.g. shop-api)." % name
        )
    return name


def check_version(version: str) -> str:
    if not version:
        raise PluginError("invalid version: it is empty; give a version such as 1.2.3.")
    if len(version) > MAX_VERSION_LENGTH:
        raise PluginError(
            "invalid version %r: it is %d characters long; use at most %d."
            % (version[:20] + "...", len(version), MAX_VERSION_LENGTH)
        )
    if re.search(r"\s", version) or not version.isprintable():
        raise PluginError(
            "invalid version %r: versions cannot contain whitespace or control characters (e.g. 1.2.3)." % version
        )
    return version


# ---------------------------------------------------------------------------
# State file
# ---------------------------------------------------------------------------


def state_path(environ: Dict[str, str]) -> str:
    explicit = environ.get("DEVOPS_STATE_FILE", "").strip()
    if explicit:
        path = os.path.expanduser(explicit)
    elif environ.get("DEVOPS_STATE_DIR", "").strip():
        path = os.path.join(os.path.expanduser(environ["DEVOPS_STATE_DIR"].strip()), STATE_FILE_NAME)
    elif os.path.isabs(environ.get("XDG_STATE_HOME", "").strip()):
        # The XDG spec says relative values are invalid and must be ignored.
        path = os.path.join(environ["XDG_STATE_HOME"].strip(), "sanctum-mcp", STATE_FILE_NAME)
    else:
        home = os.path.expanduser("~")
        if home == "~" or not os.path.isabs(home):
            raise PluginError(
                "cannot locate the devops state file: no home directory is known. Set DEVOPS_STATE_FILE "
                "(or DEVOPS_STATE_DIR) to where the ledger should live."
            )
        path = os.path.join(home, ".local", "state", "sanctum-mcp", STATE_FILE_NAME)
    path = os.path.abspath(path)
    if os.path.isdir(path):
        raise PluginError("the devops state file %s is a directory; point DEVOPS_STATE_FILE at a file path." % path)
    return path


def _empty_state() -> Dict[str, Any]:
    return {"format": STATE_FORMAT, "next_id": 1, "apps": {}}


def _corrupt(path: str, detail: str) -> PluginError:
    return PluginError(
        "the devops state file %s is corrupt (%s). It was left unchanged: repair it, or move it aside to "
        "start a new ledger, then retry." % (path, detail)
    )


def _validate_state(path: str, state: Any) -> Dict[str, Any]:
    if not isinstance(state, dict):
        raise _corrupt(path, "the top level is not a JSON object")
    if state.get("format") != STATE_FORMAT:
        raise _corrupt(path, "unknown ledger format %r, expected %d" % (state.get("format"), STATE_FORMAT))
    if not isinstance(state.get("next_id"), int) or state["next_id"] < 1:
        raise _corrupt(path, '"next_id" is not a positive integer')
    apps = state.get("apps")
    if not isinstance(apps, dict):
        raise _corrupt(path, '"apps" is not an object')
    for app, envs in apps.items():
        if not isinstance(envs, dict):
            raise _corrupt(path, "app %r is not an object" % app)
        for env, entry in envs.items():
            where = "%s (%s)" % (app, env)
            if not isinstance(entry, dict):
                raise _corrupt(path, "%s is not an object" % where)
            if not isinstance(entry.get("current_version"), str):
                raise _corrupt(path, '%s has no string "current_version"' % where)
            history = entry.get("history")
            if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
                raise _corrupt(path, '%s has no "history" list of records' % where)
    return state


def read_state(path: str) -> Dict[str, Any]:
    """Load the ledger; a missing (or zero-byte) file is an empty ledger."""
    try:
        with open(path, "r", encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return _empty_state()
    except IsADirectoryError:
        raise PluginError(
            "the devops state file %s is a directory; point DEVOPS_STATE_FILE at a file path." % path
        )
    except UnicodeDecodeError as err:
        raise _corrupt(path, "not UTF-8 text: %s" % err.reason)
    except OSError as err:
        raise PluginError("cannot read the devops state file %s: %s." % (path, err.strerror or err))
    if not text.strip():
        return _empty_state()
    try:
        state = json.loads(text)
    except ValueError as err:
        raise _corrupt(path, "not valid JSON: %s" % err)
    return _validate_state(path, state)


def write_state(path: str, state: Dict[str, Any]) -> None:
    """Atomically replace ``path``: temp file in the same directory, fsync, rename."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state, handle, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        except FileNotFoundError:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


@contextmanager
def locked(path: str) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` for the enclosed read-modify-write."""
    if fcntl is None:
        raise PluginError("devops needs POSIX file locking (fcntl), which this platform does not provide.")
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as err:
        raise PluginError("cannot create the state directory %s: %s." % (directory, err.strerror or err))
    lock_path = path + ".lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise PluginError("cannot open the lock file %s: %s." % (lock_path, err.strerror or err))
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as err:
                if err.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise PluginError("cannot lock %s: %s." % (lock_path, err.strerror or err))
                if time.monotonic() >= deadline:
                    raise PluginError(
                        "the devops state file %s stayed locked by another process for %g seconds; "
                        "retry once it has finished." % (path, LOCK_TIMEOUT_SECONDS)
                    )
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def report_progress(step: int, total: int, message: str) -> None:
    """A progress line on stderr; the gateway turns it into notifications/progress."""
    print(json.dumps({"progress": step, "total": total, "message": message}), file=sys.stderr, flush=True)


def report_log(level: str, message: str) -> None:
    """A log line on stderr; the gateway turns it into notifications/message."""
    print(json.dumps({"log": level, "message": message}), file=sys.stderr, flush=True)


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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------------
# Ledger logic
# ---------------------------------------------------------------------------


def _deployed_versions(env_state: Optional[Dict[str, Any]]) -> List[str]:
    """Distinct versions deployed (not merely rolled back to), oldest first."""
    seen: List[str] = []
    for record in (env_state or {}).get("history", []):
        version = record.get("version")
        if record.get("action") == "deploy" and isinstance(version, str) and version not in seen:
            seen.append(version)
    return seen


def next_version(env_state: Optional[Dict[str, Any]]) -> str:
    """Increment the trailing number of the last deployed version, skipping versions used before."""
    history = (env_state or {}).get("history", [])
    deploys = [r for r in history if r.get("action") == "deploy" and isinstance(r.get("version"), str)]
    if not deploys:
        return FIRST_VERSION
    last = deploys[-1]["version"]
    match = re.match(r"^(.*?)([0-9]+)$", last)
    if not match:
        raise PluginError(
            "cannot derive the next version from %r: it does not end in a number. Pass --version explicitly."
            % last
        )
    prefix, digits = match.groups()
    used = set(_deployed_versions(env_state))
    number = int(digits)
    while True:
        number += 1
        candidate = prefix + str(number).zfill(len(digits))
        if candidate not in used:
            return check_version(candidate)


def _record(state: Dict[str, Any], fields: Dict[str, Any]) -> Dict[str, Any]:
    record = {"id": state["next_id"]}
    record.update(fields)
    state["next_id"] += 1
    return record


def _env_summary(env_state: Dict[str, Any]) -> Dict[str, Any]:
    history = env_state["history"]
    last = history[-1] if history else None
    return {
        "current_version": env_state["current_version"],
        "last_deployed_at": last.get("deployed_at") if last else None,
        "history_count": len(history),
        "last_action": last,
    }


CONFIRM_KEY = "confirm"
UNCONFIRMED_NOTE = (
    "deployed without confirmation: this client cannot ask the user (it declared no elicitation "
    "capability), so nobody confirmed this production deployment"
)


def confirmation_state(app: str, version: str, env: str) -> Dict[str, Any]:
    """What a confirmation question names; the answer counts only for exactly this deployment."""
    return {"app": app, "version": version, "environment": env, "confirm": "deploy"}


def confirmation_request(app: str, version: str, env: str, live: Optional[str]) -> AskClient:
    message = "Deploy %s %s to %s? %s" % (
        app,
        version,
        env,
        "Live there now: %s." % live if live else "Nothing of %s is live there yet." % app,
    )
    schema = {
        "type": "object",
        "properties": {
            "confirm": {
                "type": "boolean",
                "title": "Deploy to production",
                "description": "Yes to record %s %s as the live version in %s" % (app, version, env),
            }
        },
        "required": ["confirm"],
    }
    return AskClient(
        {CONFIRM_KEY: {"elicitation": {"message": message, "requestedSchema": schema}}},
        confirmation_state(app, version, env),
    )


def confirmation_verdict(answers: Dict[str, Any], app: str, version: str, env: str) -> Optional[str]:
    """None when the user confirmed this deployment, else why nothing is deployed ("the user declined")."""
    if answers["state"] != confirmation_state(app, version, env):
        raise PluginError(
            "the confirmation does not match this deployment (%s %s to %s): %s. Nothing was deployed; "
            "call deploy again to be asked afresh."
            % (
                app,
                version,
                env,
                "it was given for %s" % json.dumps(answers["state"])
                if answers["state"] is not None
                else "it came without the state of a question this plugin asked",
            )
        )
    answer = answers["responses"].get(CONFIRM_KEY)
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        raise PluginError(
            "the client could not ask the user to confirm the deployment (%s). Nothing was deployed."
            % answer["error"].get("message", "no message")
        )
    if not isinstance(answer, dict) or answer.get("action") not in ("accept", "decline", "cancel"):
        raise PluginError(
            "the answers hold no confirmation under %r (an elicitation result with action accept, decline "
            "or cancel). Nothing was deployed." % CONFIRM_KEY
        )
    if answer["action"] == "cancel":
        return "the user cancelled"
    content = answer.get("content")
    if answer["action"] == "accept" and isinstance(content, dict) and content.get("confirm") is True:
        return None
    return "the user declined"


def cmd_deploy(args: argparse.Namespace, path: str) -> Any:
    app = check_app_name(args.app_name)
    env = args.environment
    if args.version is not None:
        check_version(args.version)
    answers = client_answers() if env == "production" else None
    can_ask = "elicitation" in client_capabilities()
    if env == "production" and answers is None and can_ask:
        # Writers replace the file atomically: the question needs no lock, only a consistent read.
        env_state = read_state(path)["apps"].get(app, {}).get(env)
        version = args.version if args.version is not None else next_version(env_state)
        return confirmation_request(app, version, env, env_state["current_version"] if env_state else None)
    with locked(path):
        state = read_state(path)
        env_state = state["apps"].get(app, {}).get(env)
        version = args.version if args.version is not None else next_version(env_state)
        if answers is not None:
            # Checked under the lock, so a derived version is still the one the user was asked about.
            refused = confirmation_verdict(answers, app, version, env)
            if refused is not None:
                return {"deployed": False, "app": app, "version": version, "environment": env, "reason": refused}
        report_progress(1, 3, "ledger read")
        previous = env_state["current_version"] if env_state else None
        report_progress(2, 3, "deploying %s %s to %s" % (app, version, env))
        record = _record(
            state,
            {
                "action": "deploy",
                "app": app,
                "environment": env,
                "version": version,
                "previous_version": previous,
                "status": "deployed",
                "deployed_at": _now(),
            },
        )
        if env_state is None:
            env_state = {"current_version": version, "history": []}
            state["apps"].setdefault(app, {})[env] = env_state
        env_state["current_version"] = version
        env_state["history"].append(record)
        write_state(path, state)
    report_progress(3, 3, "ledger written")
    report_log("info", "deployed %s %s to %s (previously %s)" % (app, version, env, previous or "none"))
    if env != "production":
        return record
    result = dict(record, confirmed=answers is not None)
    if answers is None:
        result["note"] = UNCONFIRMED_NOTE
    return result


def cmd_rollback(args: argparse.Namespace, path: str) -> Dict[str, Any]:
    app = check_app_name(args.app_name)
    env = args.environment
    version = check_version(args.version)
    with locked(path):
        state = read_state(path)
        env_state = state["apps"].get(app, {}).get(env)
        deployed = _deployed_versions(env_state)
        if env_state is None or version not in deployed:
            raise PluginError(
                "cannot roll back %s (%s) to %s: that version was never deployed there; deployed versions: %s"
                % (app, env, version, ", ".join(deployed) if deployed else "none")
            )
        current = env_state["current_version"]
        if version == current:
            raise PluginError(
                "cannot roll back %s (%s) to %s: it is already the current version there." % (app, env, version)
            )
        record = _record(
            state,
            {
                "action": "rollback",
                "app": app,
                "environment": env,
                "version": version,
                "from_version": current,
                "to_version": version,
                "status": "rolled_back",
                "deployed_at": _now(),
            },
        )
        env_state["current_version"] = version
        env_state["history"].append(record)
        write_state(path, state)
    return record


def cmd_status(args: argparse.Namespace, path: str) -> Dict[str, Any]:
    app = check_app_name(args.app_name)
    # Writers replace the file atomically, so a reader needs no lock to see a consistent ledger.
    state = read_state(path)
    envs = state["apps"].get(app, {})
    if args.environment is not None:
        env_state = envs.get(args.environment)
        if env_state is None:
            summary: Dict[str, Any] = {
                "current_version": None,
                "last_deployed_at": None,
                "history_count": 0,
                "last_action": None,
            }
        else:
            summary = _env_summary(env_state)
        result = {"app": app, "environment": args.environment, "deployed": env_state is not None}
        result.update(summary)
        return result
    order = {name: index for index, name in enumerate(ENVIRONMENTS)}
    names = sorted(envs, key=lambda name: (order.get(name, len(order)), name))
    return {
        "app": app,
        "deployed": bool(envs),
        "environments": {name: _env_summary(envs[name]) for name in names},
    }


def _history_of(state: Dict[str, Any], app: str) -> Dict[str, Any]:
    envs = state["apps"].get(app, {})
    order = {name: index for index, name in enumerate(ENVIRONMENTS)}
    names = sorted(envs, key=lambda name: (order.get(name, len(order)), name))
    return {
        "app": app,
        "deployed": bool(envs),
        "environments": {
            name: {"current_version": envs[name]["current_version"], "history": envs[name]["history"]} for name in names
        },
    }


def cmd_history(args: argparse.Namespace, path: str) -> str:
    """The resource's content: the JSON document itself (not wrapped in {"result": ...})."""
    return json.dumps(_history_of(read_state(path), check_app_name(args.app)), indent=2)


def cmd_rollback_plan(args: argparse.Namespace, path: str) -> str:
    """The prompt's messages: the plan as text, then the history as an embedded resource."""
    app = check_app_name(args.app)
    env = args.environment
    history = _history_of(read_state(path), app)
    env_state = history["environments"].get(env)
    if env_state is None:
        deployed = ", ".join(history["environments"]) or "none"
        raise PluginError("%s was never deployed to %s (environments with deployments: %s)." % (app, env, deployed))
    current = env_state["current_version"]
    earlier = [v for v in _deployed_versions(env_state) if v != current]
    if not earlier:
        raise PluginError("%s has only ever had %s in %s: there is no earlier version to roll back to." % (app, current, env))
    target = earlier[-1]
    records = env_state["history"]
    last_target = max(i for i, r in enumerate(records) if r.get("version") == target)
    since = records[last_target + 1 :][-5:]
    lines = [
        "Draft a rollback plan for %s in %s." % (app, env),
        "",
        "Live now: %s. Roll back to: %s (the last other version deployed there)." % (current, target),
        "Other versions deployed there before: %s." % (", ".join(earlier[:-1]) or "none"),
        "Since %s went out: %s." % (target, "; ".join("%s %s at %s" % (r["action"], r["version"], r["deployed_at"]) for r in since)),
        "",
        "The plan should: state the impact and who to tell; run `devops rollback --app-name %s --version %s "
        "--environment %s`; check the health of %s after it; say how to roll forward to %s again once fixed."
        % (app, target, env, app, current),
    ]
    uri = "devops://apps/%s/history" % app
    messages = [
        {"role": "user", "content": {"type": "text", "text": "\n".join(lines)}},
        {"role": "user", "content": {"type": "resource", "resource": {"uri": uri, "mimeType": "application/json", "text": json.dumps(history, indent=2)}}},
    ]
    return json.dumps({"description": "Rollback plan for %s in %s: %s to %s" % (app, env, current, target), "messages": messages})


def cmd_complete_app(args: argparse.Namespace, path: str) -> str:
    """Application names of the ledger starting with --value (in --environment when given), as a JSON list."""
    apps = read_state(path)["apps"]
    names = sorted(name for name, envs in apps.items() if args.environment is None or args.environment in envs)
    return json.dumps([name for name in names if name.lower().startswith(args.value.lower())])


HANDLERS = {
    "deploy": cmd_deploy,
    "rollback": cmd_rollback,
    "status": cmd_status,
}

# Commands for resources, prompts and completions: their stdout is the content itself.
CONTENT_HANDLERS = {
    "history": cmd_history,
    "rollback-plan": cmd_rollback_plan,
    "complete-app": cmd_complete_app,
}


def main(argv: Optional[List[str]] = None) -> NoReturn:
    args = build_parser().parse_args(argv)
    try:
        path = state_path(dict(os.environ))
        if args.command in CONTENT_HANDLERS:
            sys.stdout.write(CONTENT_HANDLERS[args.command](args, path) + "\n")
            sys.stdout.flush()
            sys.exit(0)
        outcome = HANDLERS[args.command](args, path)
        if isinstance(outcome, AskClient):
            _emit(outcome.document(), 0)
        succeed(outcome)
    except PluginError as err:
        fail(str(err))
    except OSError as err:
        fail("devops could not update its state file: %s." % err)
    except Exception as err:  # noqa: BLE001 - report as JSON, never as a traceback
        fail("devops failed unexpectedly (%s): %s" % (type(err).__name__, err))


if __name__ == "__main__":
    main()
