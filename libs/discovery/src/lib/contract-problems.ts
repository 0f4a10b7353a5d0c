import type { ErrorObject } from 'ajv';

/** `/commands/0/parameters/2/type` as `commands[0].parameters[2].type`. */
export function fieldPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

/** A field of an entry addressed from the payload's root: `prompts[1]` + `/arguments/0` = `prompts[1].arguments[0]`. */
export function fieldAt(at: string, instancePath: string): string {
  const path = fieldPath(instancePath);
  if (!at) return path;
  return path ? `${at}.${path}` : at;
}

function valueAt(root: unknown, instancePath: string): unknown {
  let node = root;
  for (const part of instancePath.split('/').slice(1)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

/**
 * One Ajv error as a sentence addressing the field (`commands[0].name is required`). `at` is where
 * the validated value sits in the payload, for entries validated on their own.
 */
export function problemText(error: ErrorObject, payload: unknown, at = ''): string {
  const field = fieldAt(at, error.instancePath) || 'the payload';
  const got = JSON.stringify(valueAt(payload, error.instancePath));
  switch (error.keyword) {
    case 'required':
      return `${field === 'the payload' ? '' : `${field}.`}${String(error.params['missingProperty'])} is required`;
    case 'enum':
      return `${field} ${got} is not one of ${(error.params['allowedValues'] as unknown[]).join(', ')}`;
    case 'type':
      return `${field} ${got} must be ${String(error.params['type'])}`;
    case 'pattern':
      return `${field} ${got} does not match ${String(error.params['pattern'])}`;
    default:
      return `${field} ${error.message ?? 'is invalid'}`;
  }
}
