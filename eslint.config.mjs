// ESLint flat config, as a Nest project has it: typescript-eslint's recommended rules, Prettier
// for formatting (no style rules here), and the layer rules of docs/architecture.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import { builtinModules } from 'node:module';

/** Node's built-in modules, without the `node:` prefix (`crypto`, `fs/promises`), as a regex alternation. */
const NODE_BUILTINS = builtinModules.filter((m) => !m.startsWith('_')).join('|');

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.data/**', 'infra/kafka/libs/**', 'eslint.config.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: { ...globals.node, ...globals.jest } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['infra/**/*.js', 'jest.config.js', 'bench/**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // libs never import apps (the narrower rules of contracts and database below replace this one for them)
    files: ['libs/**/*.ts'],
    ignores: ['libs/**/test/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/apps/**'] }] },
  },
  {
    // contracts are what services share: no Nest, no TypeORM, no service code
    files: ['libs/contracts/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@nestjs/*', 'typeorm', '@app/*', '**/apps/**'] }] },
  },
  {
    // the database protocol is the bottom layer: it imports no other lib (its tests may use @app/testing)
    files: ['libs/database/**/*.ts'],
    ignores: ['libs/database/test/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@nestjs/*', '@app/*', '**/apps/**'] }] },
  },
  {
    // apps never import other apps; only @app/contracts is shared between services
    files: ['apps/orders/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/inventory/**', '**/shipping/**'] }] },
  },
  {
    files: ['apps/inventory/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/orders/**', '**/shipping/**'] }] },
  },
  {
    files: ['apps/shipping/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['**/orders/**', '**/inventory/**'] }] },
  },
  {
    // a domain is pure: it imports @app/contracts, node's built-ins and its own domain (./), nothing else: no
    // Nest, TypeORM or messaging, no application or persistence code. Its specs may use the test helpers.
    // (The typescript-eslint rule, so the per-app rule above still applies, and `import x = require()` counts.)
    files: ['apps/*/src/domain/**/*.ts'],
    ignores: ['apps/*/src/domain/**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(?!(?:@app/contracts(?:/.*)?|node:.+|(?:${NODE_BUILTINS})(?:/.*)?|\\./(?:(?!\\.\\.).)*)$)`,
              caseSensitive: true,
              message: 'domain code imports only @app/contracts, node built-ins and its own domain (./); see docs/architecture.md',
            },
          ],
        },
      ],
    },
  },
);
