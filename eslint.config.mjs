import nx from '@nx/eslint-plugin';

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/node_modules', '**/tmp', '**/.nx', '**/coverage'] },
  {
    files: ['**/*.ts', '**/*.js'],
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
    // The protocol library must stay framework-free.
    files: ['libs/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nestjs/*', 'rxjs', 'node:*', 'fs', 'child_process', 'http'], message: 'libs/protocol holds wire types and pure helpers only: no Nest, no I/O.' }] },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
];
