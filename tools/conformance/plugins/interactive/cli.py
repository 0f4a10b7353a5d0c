#!/usr/bin/env python3
"""interactive: conformance fixture whose tools and prompt ask the client for input.

Serves the MCP conformance suite's scenarios that need input from the client: sampling and
elicitation from a tool call (2025 revisions: tools-call-sampling, tools-call-elicitation,
elicitation-sep1034-defaults, elicitation-sep1330-enums), the input-required results of revision
2026-07-28 (SEP-2322: input-required-result-*), and the tools of server-stateless that need a
client capability (``test_missing_capability``, ``test_streaming_elicitation``).

A command that needs input prints exactly one JSON object on stdout and exits 0:

    {"input_required": {"requests": {"<key>": {"elicitation" | "sampling" | "roots": {...}}},
                        "state": <any JSON, optional>}}

The gateway obtains the answers from the client (an elicitation/create, sampling/createMessage
or roots/list request on the session in 2025; an InputRequiredResult and the client's retry in
2026-07-28) and runs the same command again with the same arguments, writing one JSON document
to stdin: ``{"responses": {"<key>": <ElicitResult | CreateMessageResult | ListRootsResult |
{"error": {...}}>}, "state": <the state, or null>}``. On every other run stdin is empty. The
client's declared capabilities are in the environment variable ``MCP_CLIENT_CAPABILITIES``.

Standard library only; Python 3.9 or newer.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from typing import Any, Dict, List, Optional

NAME_SCHEMA: Dict[str, Any] = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
CONFIRM_SCHEMA: Dict[str, Any] = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}

USER_SCHEMA: Dict[str, Any] = {
    "type": "object",
    "properties": {
        "username": {"type": "string", "description": "User's response"},
        "email": {"type": "string", "description": "User's email address"},
    },
    "required": ["username", "email"],
}

# SEP-1034: a default for every primitive type an elicitation schema may hold.
DEFAULTS_SCHEMA: Dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "default": "John Doe"},
        "age": {"type": "integer", "default": 30},
        "score": {"type": "number", "default": 95.5},
        "status": {"type": "string", "enum": ["active", "inactive", "pending"], "default": "active"},
        "verified": {"type": "boolean", "default": True},
    },
}

# SEP-1330: the five ways an elicitation schema spells an enumeration.
ENUMS_SCHEMA: Dict[str, Any] = {
    "type": "object",
    "properties": {
        "untitledSingle": {"type": "string", "enum": ["option1", "option2", "option3"]},
        "titledSingle": {
            "type": "string",
            "oneOf": [
                {"const": "value1", "title": "First Option"},
                {"const": "value2", "title": "Second Option"},
                {"const": "value3", "title": "Third Option"},
            ],
        },
        "legacyEnum": {
            "type": "string",
            "enum": ["opt1", "opt2", "opt3"],
            "enumNames": ["Option One", "Option Two", "Option Three"],
        },
        "untitledMulti": {"type": "array", "items": {"type": "string", "enum": ["option1", "option2", "option3"]}},
        "titledMulti": {
            "type": "array",
            "items": {
                "anyOf": [
                    {"const": "value1", "title": "First Choice"},
                    {"const": "value2", "title": "Second Choice"},
                    {"const": "value3", "title": "Third Choice"},
                ]
            },
        },
    },
}


def command(name: str, description: str, parameters: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    return {"name": name, "description": description, "parameters": parameters or []}


DESCRIBE: Dict[str, Any] = {
    "contract_version": "1.1",
    "plugin": {"name": "interactive", "version": "1.0.0", "description": "Conformance fixture: tools and a prompt that ask the client for input"},
    "commands": [
        command(
            "test_sampling",
            "Ask the client's model to answer the prompt (sampling/createMessage), then return its answer",
            [{"name": "prompt", "type": "string", "description": "The prompt to send to the LLM", "required": True}],
        ),
        command(
            "test_elicitation",
            "Ask the user for a username and an email address (elicitation/create) with the given message, then return the answer",
            [{"name": "message", "type": "string", "description": "The message to show the user", "required": True}],
        ),
        command("test_elicitation_sep1034_defaults", "Elicit a form whose fields all have defaults (SEP-1034), then return the answer"),
        command("test_elicitation_sep1330_enums", "Elicit a form with the five enum schema variants (SEP-1330), then return the answer"),
        command("test_input_required_result_elicitation", "Ask the user's name (elicitation, key user_name), then greet them"),
        command("test_input_required_result_sampling", "Ask the client's model for the capital of France (sampling, key capital_question), then return its answer"),
        command("test_input_required_result_list_roots", "Ask the client for its roots (roots/list, key client_roots), then name them"),
        command("test_input_required_result_request_state", "Ask for a confirmation with a request state, then check the state came back (state-ok)"),
        command("test_input_required_result_multiple_inputs", "Ask for a name, a sampled greeting and the client's roots in one round, then summarize the answers"),
        command("test_input_required_result_multi_round", "Ask a name, then (second round) a favourite colour, then say who likes what"),
        command("test_input_required_result_tampered_state", "Ask for a confirmation with a request state that the gateway seals; a tampered state never reaches this tool"),
        command("test_input_required_result_capabilities", "Ask only for what the client declared (elicitation and sampling); say so when it declared neither"),
        command("test_missing_capability", "Always ask the client's model (sampling), so a client without the sampling capability is refused"),
        command("test_streaming_elicitation", "Ask the user one question (elicitation), then return the answer"),
    ],
    "prompts": [
        {
            "name": "test_input_required_result_prompt",
            "description": "A prompt that asks the user for its context (elicitation, key user_context) before rendering",
            "command": "context-prompt",
        }
    ],
}


class InputError(Exception):
    """The stdin document of a re-run is not what the gateway sends."""


def client_capabilities() -> Dict[str, Any]:
    try:
        value = json.loads(os.environ.get("MCP_CLIENT_CAPABILITIES") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def read_input() -> Optional[Dict[str, Any]]:
    """The re-run document from stdin, or None on a first run (stdin empty)."""
    if sys.stdin is None or sys.stdin.isatty():
        return None
    raw = sys.stdin.read()
    if not raw.strip():
        return None
    try:
        document = json.loads(raw)
    except ValueError as error:
        raise InputError("stdin is not JSON: %s" % error)
    if not isinstance(document, dict) or not isinstance(document.get("responses"), dict):
        raise InputError('stdin must be {"responses": {...}, "state": ...}')
    document.setdefault("state", None)
    return document


def ask(requests: Dict[str, Any], state: Any = None) -> Dict[str, Any]:
    body: Dict[str, Any] = {"requests": requests}
    if state is not None:
        body["state"] = state
    return {"input_required": body}


def elicit(message: str, schema: Dict[str, Any]) -> Dict[str, Any]:
    return {"elicitation": {"message": message, "requestedSchema": schema}}


def sample(text: str, max_tokens: int) -> Dict[str, Any]:
    return {"sampling": {"messages": [{"role": "user", "content": {"type": "text", "text": text}}], "maxTokens": max_tokens}}


def result(text: str) -> Dict[str, Any]:
    return {"result": text}


def client_error(response: Any) -> Optional[str]:
    """The message of a JSON-RPC error the client answered with, if it did."""
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        error = response["error"]
        return "%s (code %s)" % (error.get("message", "no message"), error.get("code", "none"))
    return None


def is_elicit_result(response: Any) -> bool:
    return isinstance(response, dict) and response.get("action") in ("accept", "decline", "cancel")


def accepted(response: Any, field: str, kind: type = str) -> Optional[Any]:
    """The field of an accepted ElicitResult's content, or None."""
    if not is_elicit_result(response) or response["action"] != "accept":
        return None
    content = response.get("content")
    if not isinstance(content, dict) or not isinstance(content.get(field), kind):
        return None
    return content[field]


def sampled_text(response: Any) -> Optional[str]:
    """The text of a CreateMessageResult (one content block or a list of them), or None."""
    if not isinstance(response, dict):
        return None
    content = response.get("content")
    blocks = content if isinstance(content, list) else [content]
    texts = [b["text"] for b in blocks if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)]
    return "".join(texts) if texts else None


def root_uris(response: Any) -> Optional[List[str]]:
    if not isinstance(response, dict) or not isinstance(response.get("roots"), list):
        return None
    return [r["uri"] for r in response["roots"] if isinstance(r, dict) and isinstance(r.get("uri"), str)]


def elicitation_text(prefix: str, response: Any) -> Dict[str, Any]:
    refused = client_error(response)
    if refused:
        return {"error": "the client answered elicitation/create with an error: " + refused}
    if not is_elicit_result(response):
        return {"error": "the elicitation answer is not an ElicitResult: %s" % json.dumps(response)}
    return result("%s: action=%s, content=%s" % (prefix, response["action"], json.dumps(response.get("content"))))


def run_sampling(inp: Optional[Dict[str, Any]], prompt: str) -> Dict[str, Any]:
    request = sample(prompt, 100)
    if inp is None or "q" not in inp["responses"]:
        # Asked even when the client declared no sampling: the gateway answers that case itself.
        return ask({"q": request})
    response = inp["responses"]["q"]
    refused = client_error(response)
    if refused:
        return {"error": "the client answered sampling/createMessage with an error: " + refused}
    text = sampled_text(response)
    if text is None:
        return {"error": "the sampling answer has no text content: %s" % json.dumps(response)}
    return result("LLM response: " + text)


def run_elicitation(inp: Optional[Dict[str, Any]], key: str, request: Dict[str, Any], prefix: str) -> Dict[str, Any]:
    if inp is None or key not in inp["responses"]:
        return ask({key: request})
    return elicitation_text(prefix, inp["responses"][key])


def run_user_name(inp: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    request = {"user_name": elicit("What is your name?", NAME_SCHEMA)}
    response = inp["responses"].get("user_name") if inp else None
    # No answer under our key, or one that is not an ElicitResult at all: the question is still
    # open, so it is asked again rather than answered with a guess.
    if not is_elicit_result(response):
        return ask(request)
    if response["action"] != "accept":
        return result("No name to greet: the user chose to %s." % response["action"])
    name = accepted(response, "name")
    if name is None:
        return ask(request)
    return result("Hello, %s!" % name)


def run_capital(inp: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    response = inp["responses"].get("capital_question") if inp else None
    if response is None:
        return ask({"capital_question": sample("What is the capital of France?", 100)})
    refused = client_error(response)
    if refused:
        return {"error": "the client answered sampling/createMessage with an error: " + refused}
    text = sampled_text(response)
    if text is None:
        return {"error": "the sampling answer has no text content: %s" % json.dumps(response)}
    return result(text)


def run_roots(inp: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    response = inp["responses"].get("client_roots") if inp else None
    if response is None:
        return ask({"client_roots": {"roots": {}}})
    refused = client_error(response)
    if refused:
        return {"error": "the client answered roots/list with an error: " + refused}
    uris = root_uris(response)
    if uris is None:
        return {"error": "the roots answer is not a ListRootsResult: %s" % json.dumps(response)}
    return result("Client roots: " + ", ".join(uris) if uris else "The client has no roots.")


def issued_state(tool: str) -> Dict[str, Any]:
    return {"issued": secrets.token_hex(8), "tool": tool}


def state_is_ours(state: Any, tool: str) -> bool:
    if not isinstance(state, dict) or set(state) != {"issued", "tool"} or state["tool"] != tool:
        return False
    token = state["issued"]
    return isinstance(token, str) and len(token) == 16 and all(c in "0123456789abcdef" for c in token)


def run_confirmation(inp: Optional[Dict[str, Any]], tool: str) -> Dict[str, Any]:
    response = inp["responses"].get("confirm") if inp else None
    # Without the state this tool issued, the answer is not to its own question (a client may
    # answer before being asked): ask, with a fresh state.
    if response is None or not state_is_ours(inp["state"] if inp else None, tool):
        return ask({"confirm": elicit("Please confirm", CONFIRM_SCHEMA)}, issued_state(tool))
    if not is_elicit_result(response):
        return {"error": "the confirmation is not an ElicitResult: %s" % json.dumps(response)}
    ok = accepted(response, "ok", bool)
    return result("state-ok: action=%s, ok=%s" % (response["action"], json.dumps(ok)))


def run_multiple(inp: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    requests = {
        "user_name": elicit("What is your name?", NAME_SCHEMA),
        "greeting": sample("Generate a greeting", 50),
        "client_roots": {"roots": {}},
    }
    state = {"tool": "multiple_inputs"}
    responses = inp["responses"] if inp else {}
    missing = {key: request for key, request in requests.items() if key not in responses}
    if missing:
        return ask(missing, state)
    name = accepted(responses["user_name"], "name")
    greeting = sampled_text(responses["greeting"])
    uris = root_uris(responses["client_roots"])
    return result(
        "name=%s; greeting=%s; roots=%s"
        % (
            name if name is not None else "(not given)",
            greeting if greeting is not None else "(no text)",
            ", ".join(uris) if uris else "(none)",
        )
    )


def run_multi_round(inp: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    step1 = {"step1": elicit("Step 1: What is your name?", NAME_SCHEMA)}
    state = inp["state"] if inp else None
    responses = inp["responses"] if inp else {}
    if state == {"step": 1} and "step1" in responses:
        name = accepted(responses["step1"], "name")
        if name is None:
            return result("Stopped at step 1: no name was given.")
        color_schema = {"type": "object", "properties": {"color": {"type": "string"}}, "required": ["color"]}
        return ask({"step2": elicit("Step 2: What is your favorite color?", color_schema)}, {"step": 2, "name": name})
    if isinstance(state, dict) and state.get("step") == 2 and isinstance(state.get("name"), str) and "step2" in responses:
        color = accepted(responses["step2"], "color")
        if color is None:
            return result("Stopped at step 2: %s gave no colour." % state["name"])
        return result("%s likes %s" % (state["name"], color))
    return ask(step1, {"step": 1})


def run_capabilities(inp: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    capabilities = client_capabilities()
    requests: Dict[str, Any] = {}
    if "elicitation" in capabilities:
        requests["name"] = elicit("What is your name?", NAME_SCHEMA)
    if "sampling" in capabilities:
        requests["summary"] = sample("Say hello in three words.", 20)
    if not requests:
        return result("The client declared neither elicitation nor sampling, so nothing could be asked.")
    responses = inp["responses"] if inp else {}
    missing = {key: request for key, request in requests.items() if key not in responses}
    if missing:
        return ask(missing)
    parts = []
    if "name" in requests:
        parts.append("name=%s" % accepted(responses["name"], "name"))
    if "summary" in requests:
        parts.append("sampled=%s" % sampled_text(responses["summary"]))
    return result("Asked for %s: %s" % (", ".join(sorted(requests)), "; ".join(parts)))


def run_missing_capability(inp: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    response = inp["responses"].get("answer") if inp else None
    if response is None:
        return ask({"answer": sample("Reply with one word.", 10)})
    text = sampled_text(response)
    return result("Sampled: %s" % text if text is not None else "The sampling answer had no text.")


def run_streaming_elicitation(inp: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    return run_elicitation(inp, "answer", elicit("Please answer to continue.", schema), "Answer")


def run_context_prompt(inp: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    schema = {"type": "object", "properties": {"context": {"type": "string"}}, "required": ["context"]}
    response = inp["responses"].get("user_context") if inp else None
    if not is_elicit_result(response):
        return ask({"user_context": elicit("What context should the prompt use?", schema)})
    context = accepted(response, "context")
    text = "Use this context: %s" % context if context is not None else "The user gave no context (%s)." % response["action"]
    return {"messages": [{"role": "user", "content": {"type": "text", "text": text}}]}


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="cli.py", description=DESCRIBE["plugin"]["description"])
    top.add_argument("--describe", action="store_true")
    commands = top.add_subparsers(dest="command")
    for entry in DESCRIBE["commands"]:
        sub = commands.add_parser(entry["name"], help=entry["description"])
        for parameter in entry["parameters"]:
            sub.add_argument("--" + parameter["name"], required=parameter.get("required", False), help=parameter["description"])
    commands.add_parser("context-prompt", help="Render test_input_required_result_prompt")
    return top


def dispatch(args: argparse.Namespace, inp: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    name = args.command
    if name == "test_sampling":
        return run_sampling(inp, args.prompt)
    if name == "test_elicitation":
        return run_elicitation(inp, "user", elicit(args.message, USER_SCHEMA), "User response")
    if name == "test_elicitation_sep1034_defaults":
        return run_elicitation(inp, "form", elicit("Please review the defaults", DEFAULTS_SCHEMA), "Elicitation completed")
    if name == "test_elicitation_sep1330_enums":
        return run_elicitation(inp, "form", elicit("Please pick the options", ENUMS_SCHEMA), "Elicitation completed")
    if name == "test_input_required_result_elicitation":
        return run_user_name(inp)
    if name == "test_input_required_result_sampling":
        return run_capital(inp)
    if name == "test_input_required_result_list_roots":
        return run_roots(inp)
    if name == "test_input_required_result_request_state":
        return run_confirmation(inp, "request_state")
    if name == "test_input_required_result_tampered_state":
        return run_confirmation(inp, "tampered_state")
    if name == "test_input_required_result_multiple_inputs":
        return run_multiple(inp)
    if name == "test_input_required_result_multi_round":
        return run_multi_round(inp)
    if name == "test_input_required_result_capabilities":
        return run_capabilities(inp)
    if name == "test_missing_capability":
        return run_missing_capability(inp)
    if name == "test_streaming_elicitation":
        return run_streaming_elicitation(inp)
    return run_context_prompt(inp)


def main(argv: List[str]) -> int:
    args = parser().parse_args(argv)
    if args.describe:
        print(json.dumps(DESCRIBE))
        return 0
    if args.command is None:
        print("usage: cli.py --describe | COMMAND (see --help)", file=sys.stderr)
        return 2
    try:
        inp = read_input()
    except InputError as error:
        print(json.dumps({"error": str(error)}))
        return 1
    output = dispatch(args, inp)
    print(json.dumps(output))
    return 1 if "error" in output else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
