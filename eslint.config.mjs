import nx from '@nx/eslint-plugin';

// Frameworks are used through their public entry points only: a deep import reaches internals that
// change without notice (and a faster path built on them breaks silently).
const deepFrameworkImports = [
  { regex: '^@nestjs/[^/]+/.+', message: 'Import @nestjs/* packages by their index only (no deep paths into framework internals).' },
  { regex: '^express/.+', message: 'Import express by its index only (no deep paths into framework internals).' },
];

/** libs/protocol holds wire types and pure helpers only. */
export const protocolRules = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        ...deepFrameworkImports,
        { group: ['@nestjs/*', 'rxjs', 'node:*', 'fs', 'child_process', 'http'], message: 'libs/protocol holds wire types and pure helpers only: no Nest, no I/O.' },
      ],
    },
  ],
};

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/.nx', '**/coverage'] },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.js'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            // The app composes the libraries; nothing depends on the app.
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib', 'type:protocol'] },
            // Feature libraries talk to each other only through the protocol types.
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:protocol'] },
            // The protocol lib is the leaf: wire types and pure helpers only.
            { sourceTag: 'type:protocol', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:plugins', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:tools', onlyDependOnLibsWithTags: ['type:lib', 'type:protocol'] },
          ],
          banTransitiveDependencies: true,
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx', '**/*.cjs', '**/*.mjs'],
    rules: { 'no-restricted-imports': ['error', { patterns: deepFrameworkImports }] },
  },
  // The protocol library must stay framework-free (libs/protocol/eslint.config.mjs applies this when
  // linting from the project's folder, where this path does not match).
  { files: ['libs/protocol/**/*.ts'], rules: protocolRules },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
