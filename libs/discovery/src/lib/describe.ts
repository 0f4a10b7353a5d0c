import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import type { ValidateFunction } from 'ajv';
import type { CommandSpec, JsonSchema, ParameterSpec, ParameterType } from '@sanctum/protocol';
import { parseDescribedContent } from './describe-content';
import type { DescribedContent } from './describe-content';
import contract from './contract/plugin-contract-v1.schema.json';
import { problemText } from './contract-problems';

export interface DescribedPlugin extends DescribedContent {
  contractVersion?: string;
  plugin?: { name?: string; version?: string; description?: string; env?: string[] };
  commands: CommandSpec[];
}

/** The payload broke the contract: the message addresses the field (`commands[0].parameters[2].type`). */
export class ContractViolationError extends Error {
  constructor(readonly problems: string[]) {
    super(`--describe output violates plugin contract v1: ${problems.join('; ')}`);
    this.name = 'ContractViolationError';
  }
}

// Built on first use: a start whose plugins all come from the discovery cache validates nothing,
// and compiling the contract (Ajv generates a validator and compiles it with new Function) is one
// of the larger costs of a start.
let contractValidator: ValidateFunction | undefined;
let ajv2020: Ajv2020 | undefined;
const validateContract = (): ValidateFunction => (contractValidator ??= new Ajv({ allErrors: true, strict: false }).compile(contract));

/** A verbatim input schema must compile (with the draft its `$schema` names), or no call could be validated. */
function schemaProblem(schema: JsonSchema): string | undefined {
  const draft2020 = typeof schema['$schema'] === 'string' && schema['$schema'].includes('2020-12');
  try {
    (draft2020 ? (ajv2020 ??= new Ajv2020({ allErrors: true, strict: false })) : new Ajv({ strict: false })).compile(schema);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function parameterFrom(raw: Record<string, unknown>): ParameterSpec {
  const action = raw['action'];
  const flagStyle = action === 'store_true' || action === 'store_false' || raw['arg_style'] === 'flag' || raw['takes_value'] === false;
  const type = ((raw['type'] as ParameterType | undefined) ?? (flagStyle ? 'boolean' : 'string')) satisfies ParameterType;
  const name = raw['name'] as string;
  const spec: ParameterSpec = {
    name,
    flag: `--${name}`,
    type,
    required: raw['required'] === true,
  };
  if (typeof raw['description'] === 'string') spec.description = raw['description'];
  if (raw['default'] !== undefined && raw['default'] !== null) spec.default = raw['default'];
  const choices = (raw['enum'] ?? raw['choices']) as unknown[] | undefined;
  if (choices) spec.enum = choices;
  if (type === 'array') spec.items = (raw['items'] as JsonSchema | undefined) ?? { type: 'string' };
  if (type === 'boolean') spec.booleanStyle = flagStyle ? 'flag' : 'value';
  if (type === 'object' && raw['properties']) spec.schema = { properties: raw['properties'] as Record<string, JsonSchema> };
  return spec;
}

/**
 * Validate a `--describe` payload against contract v1.1 and turn it into command, resource and
 * prompt specs. Throws ContractViolationError with field-addressed messages for the payload and its
 * commands; a broken resource, template or prompt is only left out, its problems in `problems`.
 */
export function parseDescribe(payload: unknown, pluginName = 'plugin'): DescribedPlugin {
  const validate = validateContract();
  if (!validate(payload)) {
    throw new ContractViolationError([...new Set((validate.errors ?? []).map((e) => problemText(e, payload)))]);
  }
  const raw = payload as { contract_version?: string; plugin?: DescribedPlugin['plugin']; commands: Array<Record<string, unknown>> };
  const seen = new Set<string>();
  const commands = raw.commands.map((command, index): CommandSpec => {
    const name = command['name'] as string;
    if (seen.has(name)) throw new ContractViolationError([`commands[${index}].name "${name}" is declared twice`]);
    seen.add(name);
    const params = ((command['parameters'] as Array<Record<string, unknown>> | undefined) ?? []).map(parameterFrom);
    const names = new Set<string>();
    params.forEach((p, i) => {
      const key = p.name.replace(/_/g, '-').toLowerCase();
      if (names.has(key)) throw new ContractViolationError([`commands[${index}].parameters[${i}].name "${p.name}" is declared twice`]);
      names.add(key);
    });
    const described: CommandSpec = {
      name,
      description: typeof command['description'] === 'string' && command['description'].trim() !== '' ? command['description'] : `Run \`${pluginName} ${name}\``,
      parameters: params,
    };
    if (command['annotations']) described.annotations = command['annotations'] as Record<string, unknown>;
    if (command['outputSchema']) described.outputSchema = command['outputSchema'] as JsonSchema;
    const inputSchema = command['inputSchema'] as JsonSchema | undefined;
    if (inputSchema) {
      // argv is rendered from parameters: a property without one could never reach the plugin.
      const declared = new Set(params.map((p) => p.name));
      const missing = Object.keys(inputSchema.properties ?? {}).filter((key) => !declared.has(key));
      if (missing.length > 0) {
        throw new ContractViolationError(missing.map((key) => `commands[${index}].inputSchema.properties.${key} has no matching parameter`));
      }
      const problem = schemaProblem(inputSchema);
      if (problem) throw new ContractViolationError([`commands[${index}].inputSchema is not a usable JSON Schema: ${problem}`]);
      described.inputSchema = inputSchema;
    }
    if (typeof command['timeout'] === 'number') described.timeout = command['timeout'];
    return described;
  });
  return { contractVersion: raw.contract_version, plugin: raw.plugin, commands, ...parseDescribedContent(payload as Record<string, unknown>) };
}
