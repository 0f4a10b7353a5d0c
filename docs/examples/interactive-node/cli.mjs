#!/usr/bin/env node
// interactive-node: a plugin (contract v1, Node.js, no dependencies) whose one command asks the
// user for input through the MCP client.
//
//   node cli.mjs --describe          the contract v1 description
//   node cli.mjs greet [--shout]     greet the user, asking their name when the client can
//
// An input round: when the client declared elicitation (MCP_CLIENT_CAPABILITIES), the first run
// prints {"input_required": {"requests": {"name": {"elicitation": {...}}}}} and exits 0. The
// gateway asks the user, then runs `greet` again with the same options and writes
// {"responses": {"name": <ElicitResult>}, "state": null} to stdin. On any other run stdin is
// empty. A client that cannot ask gets a greeting for "stranger", and so does a user who declines.
import { readFileSync } from 'node:fs';

const DESCRIBE = {
  contract_version: '1.0',
  plugin: { name: 'interactive-node', version: '1.0.0', description: 'Greets the user, asking their name through the client' },
  commands: [
    {
      name: 'greet',
      description:
        'Greet the user by name. The name is asked from the user (elicitation) when the client can ask; otherwise, or when the user declines, the greeting is for "stranger".',
      parameters: [{ name: 'shout', type: 'boolean', action: 'store_true', description: 'Greet in capital letters' }],
    },
  ],
};

const NAME_QUESTION = {
  elicitation: {
    message: 'What is your name?',
    requestedSchema: { type: 'object', properties: { name: { type: 'string', title: 'Your name', maxLength: 100 } }, required: ['name'] },
  },
};

/** Print one JSON document and end with `status`. */
function emit(payload, status) {
  process.stdout.write(JSON.stringify(payload) + '\n');
  process.exitCode = status;
}

/** Whether the client declared `capability` ("elicitation", "sampling", "roots"). */
function clientCan(capability) {
  try {
    const declared = JSON.parse(process.env.MCP_CLIENT_CAPABILITIES || '{}');
    return typeof declared === 'object' && declared !== null && capability in declared;
  } catch {
    return false;
  }
}

/** The answers of an input round from stdin, or null on a first run (stdin empty). */
function answers() {
  let raw = '';
  if (!process.stdin.isTTY) {
    try {
      raw = readFileSync(0, 'utf8');
    } catch (error) {
      if (error.code !== 'EBADF' && error.code !== 'EAGAIN') throw error;
    }
  }
  if (raw.trim() === '') return null;
  const document = JSON.parse(raw);
  if (typeof document !== 'object' || document === null || typeof document.responses !== 'object' || document.responses === null) {
    throw new Error('stdin does not hold the answers of an input round: expected {"responses": {...}, "state": ...}');
  }
  return document;
}

function greet(shout) {
  const given = answers();
  if (given === null && clientCan('elicitation')) {
    emit({ input_required: { requests: { name: NAME_QUESTION } } }, 0);
    return;
  }
  const answer = given?.responses.name;
  const name = answer?.action === 'accept' && typeof answer.content?.name === 'string' && answer.content.name.trim() ? answer.content.name.trim() : null;
  const greeting = `Hello, ${name ?? 'stranger'}!`;
  emit({ result: { greeting: shout ? greeting.toUpperCase() : greeting, name, asked: given !== null } }, 0);
}

const [command, ...options] = process.argv.slice(2);
try {
  if (command === '--describe') emit(DESCRIBE, 0);
  else if (command === 'greet' && options.every((option) => option === '--shout')) greet(options.includes('--shout'));
  else emit({ error: `usage: cli.mjs --describe | greet [--shout] (got ${JSON.stringify(process.argv.slice(2))})` }, 2);
} catch (error) {
  emit({ error: `greet failed: ${error.message}` }, 1);
}
