// Test plugins that ask the client for input (plugin contract v1.1 input rounds, issue #19): `ask`
// (cli.py, so forked by the Python fork server) with one command per case, and `ask_js` (cli.js,
// spawned) with the multi-round command, so that both ways of starting a plugin get their answers
// on stdin. Each result says what the plugin saw, so a test can tell which answer reached which run.
// And a raw 2025 session, for the tests that must see the gateway's requests on the wire.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SseReader } from './sse-reader';

type Json = Record<string, unknown>;

const DEVOPS = resolve(__dirname, '../../../mcp/plugins/devops');

const ASK_PY = String.raw`#!/usr/bin/env python3
"""ask: asks the client for input (elicitation, sampling, roots) and reports what it got back."""
import json
import os
import sys

NAME_SCHEMA = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
ANSWER_SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


def param(name, text=""):
    return {"name": name, "type": "string", "description": text or name, "required": False}


DESCRIBE = {
    "contract_version": "1.1",
    "plugin": {"name": "ask", "version": "1.0.0", "description": "Asks the client for input"},
    "commands": [
        {"name": "greet", "description": "Ask the user's name (elicitation), greet them", "parameters": [param("log", "File to note each run in")]},
        {"name": "summarize", "description": "Ask the client's model for a summary (sampling)",
         "parameters": [{"name": "text", "type": "string", "description": "Text", "required": True}]},
        {"name": "where", "description": "Ask the client's roots", "parameters": []},
        {"name": "rounds", "description": "Ask one question a round, count rounds",
         "parameters": [{"name": "count", "type": "integer", "description": "Rounds", "required": True}, param("log", "File to note each run in")]},
        {"name": "pair", "description": "Ask two questions in one round", "parameters": []},
        {"name": "mixed", "description": "Ask an elicitation, a sampling and the roots in one round", "parameters": []},
        {"name": "forever", "description": "Ask again on every run", "parameters": []},
        {"name": "caps", "description": "Report MCP_CLIENT_CAPABILITIES of the first run and the re-run", "parameters": []},
        {"name": "hurry", "description": "Ask, with a command timeout of 1 s", "timeout": 1, "parameters": []},
        {"name": "peek", "description": "Ask for a sample, then read one byte of the answers and stop", "parameters": []},
        {"name": "malformed", "description": "Print an input_required that breaks the contract in one way",
         "parameters": [{"name": "kind", "type": "string", "description": "Which way", "required": True}]},
    ],
    "prompts": [
        {"name": "briefing", "description": "A briefing on a topic the user names", "command": "briefing", "arguments": []},
    ],
    "resources": [
        {"uri": "ask://whoami", "name": "whoami", "mimeType": "text/plain", "command": "whoami"},
    ],
}


def out(document):
    sys.stdout.write(json.dumps(document))
    sys.stdout.flush()
    sys.exit(0)


def fail(message):
    sys.stdout.write(json.dumps({"error": message}))
    sys.exit(1)


def options(argv):
    found = {}
    for arg in argv:
        if arg.startswith("--") and "=" in arg:
            name, value = arg[2:].split("=", 1)
            found[name] = value
    return found


def capabilities():
    raw = os.environ.get("MCP_CLIENT_CAPABILITIES")
    return None if raw is None else json.loads(raw)


def read_answers():
    text = sys.stdin.read() if sys.stdin is not None else ""
    if text.strip() == "":
        return None
    document = json.loads(text)
    if not isinstance(document, dict) or not isinstance(document.get("responses"), dict) or "state" not in document:
        fail("stdin is not {\"responses\": {...}, \"state\": ...}: %s" % text[:200])
    return document


def ask(requests, state=None):
    body = {"requests": requests}
    if state is not None:
        body["state"] = state
    out({"input_required": body})


def elicit(message, schema):
    return {"elicitation": {"message": message, "requestedSchema": schema}}


def note(opts, answers):
    path = opts.get("log")
    if path:
        with open(path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"rerun": answers is not None}) + "\n")


def main():
    argv = sys.argv[1:]
    if argv[:1] == ["--describe"]:
        out(DESCRIBE)
    command = argv[0] if argv else ""
    opts = options(argv[1:])
    if command == "peek":
        # Leaves the answers unread in the pipe: the gateway must cope with a plugin that exits early.
        first = sys.stdin.buffer.read(1) if sys.stdin is not None else b""
        if first == b"":
            ask({"sample": {"sampling": {"messages": [{"role": "user", "content": {"type": "text", "text": "Say a lot"}}], "maxTokens": 10}}})
        out({"result": {"peeked": first.decode("ascii")}})
    answers = read_answers()
    note(opts, answers)
    responses = answers["responses"] if answers else None
    state = answers["state"] if answers else None

    if command == "greet":
        if answers is None:
            ask({"name": elicit("What is your name?", NAME_SCHEMA)}, {"asked": "greet"})
        reply = responses.get("name", {})
        if "error" in reply:
            out({"result": {"client_error": reply["error"], "state": state}})
        name = (reply.get("content") or {}).get("name")
        greeting = "Hello, %s!" % name if reply.get("action") == "accept" else None
        out({"result": {"greeting": greeting, "action": reply.get("action"), "state": state}})

    if command == "summarize":
        if answers is None:
            ask({"summary": {"sampling": {
                "messages": [{"role": "user", "content": {"type": "text", "text": "Summarize: " + opts.get("text", "")}}],
                "maxTokens": 50,
            }}})
        reply = responses["summary"]
        out({"result": {"summary": reply["content"]["text"], "model": reply.get("model"), "role": reply.get("role")}})

    if command == "where":
        if answers is None:
            ask({"roots": {"roots": {}}})
        roots = responses["roots"]["roots"]
        out({"result": {"roots": [r["uri"] for r in roots], "names": [r.get("name") for r in roots]}})

    if command == "rounds":
        count = int(opts["count"])
        if answers is not None and (not isinstance(state, dict) or state.get("count") != count):
            fail("the state does not belong to this call: %s" % json.dumps(state))
        got = [] if answers is None else state["answers"] + [responses["step%d" % (len(state["answers"]) + 1)]["content"]["answer"]]
        if len(got) == count:
            out({"result": {"answers": got, "runs": count + 1}})
        step = len(got) + 1
        ask({"step%d" % step: elicit("Step %d of %d" % (step, count), ANSWER_SCHEMA)}, {"count": count, "answers": got})

    if command == "pair":
        if answers is None:
            ask({"first": elicit("First?", ANSWER_SCHEMA), "second": elicit("Second?", ANSWER_SCHEMA)}, {"asked": "pair"})
        out({"result": {"first": responses["first"]["content"]["answer"], "second": responses["second"]["content"]["answer"],
                        "keys": sorted(responses), "state": state}})

    if command == "mixed":
        if answers is None:
            ask({
                "name": elicit("Your name?", NAME_SCHEMA),
                "text": {"sampling": {"messages": [{"role": "user", "content": {"type": "text", "text": "Say hi"}}], "maxTokens": 10}},
                "where": {"roots": {}},
            })
        out({"result": {
            "name": responses["name"]["content"]["name"],
            "text": responses["text"]["content"]["text"],
            "roots": [r["uri"] for r in responses["where"]["roots"]],
        }})

    if command == "forever":
        n = 0 if answers is None else state["n"] + 1
        ask({"again": elicit("Again (%d)?" % n, ANSWER_SCHEMA)}, {"n": n})

    if command == "caps":
        caps = capabilities()
        if answers is None:
            if isinstance(caps, dict) and "elicitation" in caps:
                ask({"probe": elicit("Probe?", ANSWER_SCHEMA)}, {"first": caps})
            out({"result": {"first": caps, "asked": False}})
        out({"result": {"first": state["first"], "rerun": caps, "asked": True}})

    if command == "hurry":
        if answers is None:
            ask({"late": elicit("Quick?", ANSWER_SCHEMA)})
        out({"result": {"answered": responses["late"]}})

    if command == "malformed":
        question = elicit("Never asked", ANSWER_SCHEMA)
        broken = {
            "no-requests": {"requests": {}},
            "not-an-object": {"requests": ["q"]},
            "no-kind": {"requests": {"q": {}}},
            "two-kinds": {"requests": {"q": dict(question, roots={})}},
            "unknown-kind": {"requests": {"q": {"telepathy": {}}}},
            "bad-key": {"requests": {"bad key!": question}},
            "too-many": {"requests": dict(("k%d" % i, question) for i in range(17))},
        }
        out({"input_required": broken[opts["kind"]]})

    if command == "briefing":
        if answers is None:
            ask({"topic": elicit("Which topic?", ANSWER_SCHEMA)})
        topic = responses["topic"]["content"]["answer"]
        out({"messages": [{"role": "user", "content": {"type": "text", "text": "Brief me on " + topic}}]})

    if command == "whoami":
        if answers is None:
            ask({"who": elicit("Who are you?", NAME_SCHEMA)})
        sys.stdout.write("You are " + responses["who"]["content"]["name"])
        sys.exit(0)

    fail("unknown command %r" % command)


main()
`;

const ASK_JS = String.raw`const { readFileSync } = require('node:fs');
const args = process.argv.slice(2);
const say = (document) => {
  process.stdout.write(JSON.stringify(document));
  process.exit(0);
};
if (args[0] === '--describe') {
  say({ contract_version: '1.1', plugin: { name: 'ask_js', version: '1.0.0' }, commands: [
    { name: 'rounds', description: 'Ask one question a round, count rounds', parameters: [
      { name: 'count', type: 'integer', description: 'Rounds', required: true } ] },
    { name: 'peek', description: 'Ask for a sample, then read one byte of the answers and stop', parameters: [] } ] });
}
if (args[0] === 'peek') {
  const byte = Buffer.alloc(1);
  const read = require('node:fs').readSync(0, byte, 0, 1, null);
  if (read === 0) say({ input_required: { requests: { sample: { sampling: { messages: [{ role: 'user', content: { type: 'text', text: 'Say a lot' } }], maxTokens: 10 } } } } });
  say({ result: { peeked: byte.toString('ascii') } });
}
const opt = (n) => (args.find((a) => a.startsWith('--' + n + '=')) || '').slice(n.length + 3);
const text = readFileSync(0, 'utf8');
const answers = text.trim() === '' ? null : JSON.parse(text);
const count = Number(opt('count'));
if (answers !== null && (answers.state === null || answers.state.count !== count)) {
  process.stdout.write(JSON.stringify({ error: 'the state does not belong to this call: ' + JSON.stringify(answers.state) }));
  process.exit(1);
}
const got = answers === null ? [] : [...answers.state.answers, answers.responses['step' + (answers.state.answers.length + 1)].content.answer];
if (got.length === count) say({ result: { answers: got, runs: count + 1, capabilities: JSON.parse(process.env.MCP_CLIENT_CAPABILITIES) } });
const step = got.length + 1;
say({ input_required: {
  requests: { ['step' + step]: { elicitation: { message: 'Step ' + step + ' of ' + count,
    requestedSchema: { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] } } } },
  state: { count, answers: got } } });
`;

export interface InteractivePlugins {
  /** The plugins folder (MCP_PLUGINS_DIR). */
  dir: string;
  /** A folder plugins may write to (pass it as MCP_SANDBOX_WRITABLE): run logs, devops's state. */
  writable: string;
  /** The devops ledger file (DEVOPS_STATE_FILE). */
  devopsState: string;
  /** A fresh run-log path: `ask` appends one line per run of a command given `--log=<path>`. */
  runLog(tag: string): string;
  /** The runs noted in a run log: whether each was a re-run (had answers on stdin). */
  runs(path: string): Array<{ rerun: boolean }>;
  remove(): void;
}

/**
 * A plugins folder with `ask` (cli.py), `ask_js` (cli.js) and, with `devops`, a copy of the bundled
 * devops plugin.
 */
export function interactivePlugins(options: { devops?: boolean } = {}): InteractivePlugins {
  const dir = mkdtempSync(join(tmpdir(), 'interactive-plugins-'));
  const writable = mkdtempSync(join(tmpdir(), 'interactive-runs-'));
  mkdirSync(join(dir, 'ask'));
  writeFileSync(join(dir, 'ask', 'cli.py'), ASK_PY);
  mkdirSync(join(dir, 'ask_js'));
  writeFileSync(join(dir, 'ask_js', 'cli.js'), ASK_JS);
  if (options.devops) cpSync(DEVOPS, join(dir, 'devops'), { recursive: true });
  let logs = 0;
  return {
    dir,
    writable,
    devopsState: join(writable, 'devops-state.json'),
    runLog: (tag) => join(writable, `${tag}-${++logs}.log`),
    runs: (path) => {
      let text = '';
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { rerun: boolean });
    },
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      rmSync(writable, { recursive: true, force: true });
    },
  };
}

/**
 * A 2025-11-25 Streamable HTTP session over raw HTTP on `base`, initialized with the client
 * `capabilities` (what a client library hides: the request ids, the streams, which instance gets a POST).
 */
export async function rawSession(
  base: string,
  capabilities: Json,
  key?: string,
): Promise<{
  sessionId: string;
  headers: Record<string, string>;
  post(body: Json, headers?: Record<string, string>): Promise<Response>;
  /** POST tools/call `name` as request `id`, answered with an event stream. */
  open(id: number, name: string): Promise<{ reader: SseReader }>;
  /** The first server-to-client request on `reader` (waited for). */
  requestOn(reader: SseReader): Promise<Json>;
}> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
  if (key !== undefined) headers['Authorization'] = `Bearer ${key}`;
  const init = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
  expect(init.status).toBe(200);
  await init.text();
  const sessionId = init.headers.get('mcp-session-id') as string;
  const sessionHeaders = { ...headers, 'Mcp-Session-Id': sessionId, 'MCP-Protocol-Version': '2025-11-25' };
  const post = (body: Json, extra: Record<string, string> = sessionHeaders): Promise<Response> =>
    fetch(`${base}/mcp`, { method: 'POST', headers: extra, body: JSON.stringify(body) });
  expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
  return {
    sessionId,
    headers: sessionHeaders,
    post,
    open: async (id, name) => {
      const { response, reader } = await SseReader.open(`${base}/mcp`, {
        method: 'POST',
        headers: sessionHeaders,
        body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } }),
      });
      if (reader === undefined)
        throw new Error(`tools/call was not answered with an event stream (status ${response.status}): ${await response.text()}`);
      return { reader };
    },
    requestOn: async (reader) => {
      await reader.waitFor((r) => r.messages.some((m) => typeof m['method'] === 'string' && m['id'] !== undefined));
      return reader.messages.find((m) => typeof m['method'] === 'string' && m['id'] !== undefined) as Json;
    },
  };
}
