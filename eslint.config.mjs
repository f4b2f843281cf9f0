// Type-aware lint: floating promises and non-exhaustive switches are bugs here (an un-awaited write to
// Postgres or a missing attack case loses a finding silently).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.demo/**', '.tmp/**', 'var/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The engine stands alone: the CLI, the worker and the tests call the same functions (docs/ARCHITECTURE.md).
    files: ['libs/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', 'typeorm', 'pg', 'bullmq', 'ioredis', 'nestjs-pino'],
              message: 'libs/engine must not depend on the service stack.',
            },
            {
              group: ['**/apps/**', '**/persistence/**', '**/queue/**', '**/config/**'],
              message: 'libs/engine must not import apps or service libs.',
            },
            {
              group: ['@tensorflow/*'],
              message: 'libs/engine trains and infers on onnxruntime; tfjs is a devDependency for bench/legacy only.',
            },
          ],
        },
      ],
    },
  },
  {
    // Reports render a report JSON; they never reach the service stack (docs/ARCHITECTURE.md).
    files: ['libs/reports/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@nestjs/*', 'typeorm', 'pg', 'bullmq', 'ioredis', 'nestjs-pino'],
              message: 'libs/reports must not depend on the service stack.',
            },
            {
              group: ['**/apps/**', '**/persistence/**', '**/queue/**', '**/config/**'],
              message: 'libs/reports must not import apps or service libs.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  prettier,
);
