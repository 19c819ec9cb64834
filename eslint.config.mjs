// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

// Layer fences (ADR 012). ESLint keeps only the last matching block's options for a rule, so each block lists all of
// its folder's patterns.
const NO_WORKERS = { group: ['**/workers/**', '../../workers/*'], message: 'src/ must not import worker internals.' };
const NO_INTAKE = { group: ['**/intake/**', '**/intake'], message: 'src/ops must not import src/intake (the intake registers the dashboard): shared HTTP pieces live in src/http.' };
const NO_INFRASTRUCTURE = [
  { group: ['ioredis', 'bullmq'], message: 'Routes and pages call the application layer (src/app); they do not use Redis or BullMQ.' },
  { group: ['**/redis/**', '**/queue/queues'], message: 'Routes and pages call the application layer (src/app); they do not use Redis connections or queues.' },
];
const NO_STORE = { group: ['**/store/**', '**/store'], message: 'Routes call the application layer (src/app): reads go through src/app/request-queries.ts, writes through its use cases, never src/store.' };
// The views render what the routes hand them: a store's data types (import type) at most, never its code.
const STORE_TYPES_ONLY = { ...NO_STORE, allowTypeImports: true, message: 'Views render what the routes hand them: a store\'s data types (import type) at most, never its code.' };

export default defineConfig(
  { ignores: ['dist/**', 'sandbox/dist/**', 'docs/**', 'node_modules/**', 'coverage/**', 'test-artifacts/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.mjs', '*.js', 'bench/*.mjs', 'scripts/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs', '.json'] })] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // The intake and the dashboard never reach into worker internals.
    files: ['src/**/*.ts'],
    ignores: ['src/bin/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NO_WORKERS] }],
    },
  },
  {
    // The application layer (ADR 012): use cases over its own ports. No HTTP framework, no Redis client, no queue
    // library, and no edge or composition root.
    files: ['src/app/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          NO_WORKERS,
          { group: ['fastify', 'fastify-*', '@fastify/*', 'ioredis', 'bullmq'], message: 'src/app is the application layer: no Fastify, ioredis or BullMQ (declare a port in src/app/ports.ts).' },
          { group: ['../intake/**', '../ops/**', '../bin/**', '../redis/**', '../queue/queues'], message: 'src/app is called by the edges; it does not import them, nor Redis connections or BullMQ queues.' },
          // The adapters it drives: their data types (import type) and their error classes, never their code.
          { group: ['../store/*', '!../store/errors', '../notify/**', '../ticketing/**', '../queue/**', '../graph/**', '../remote/*', '!../remote/errors'], allowTypeImports: true, message: 'src/app uses an adapter through a port (src/app/ports.ts): import its types with `import type`, and only its errors as values.' },
        ],
      }],
    },
  },
  {
    // Folder-level cycles: the dashboard is registered by the intake, so it never imports the intake (shared HTTP
    // pieces are in src/http).
    files: ['src/ops/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_WORKERS, NO_INTAKE] }] },
  },
  {
    // The edges translate HTTP to use-case calls: routes and pages never talk to Redis or BullMQ themselves.
    // Nor do they read or write the stores: they call the use cases in src/app.
    files: ['src/intake/routes/**/*.ts', 'src/intake/webhooks/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_WORKERS, ...NO_INFRASTRUCTURE, NO_STORE] }] },
  },
  {
    files: ['src/ops/routes/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_WORKERS, NO_INTAKE, ...NO_INFRASTRUCTURE, NO_STORE] }] },
  },
  {
    files: ['src/ops/views/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [NO_WORKERS, NO_INTAKE, ...NO_INFRASTRUCTURE, STORE_TYPES_ONLY] }] },
  },
  {
    // The workers are started by src/bin, so they never import it (shared process helpers are in src/process).
    files: ['workers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/bin/**'], message: 'workers/ must not import src/bin (src/bin starts the workers): shared process helpers live in src/process.' }] }],
    },
  },
  {
    // The sandbox (the sandbox/ workspace, @resetpc/sandbox) is not part of the product: the production build and image
    // leave it out. Only the composition root of `npm start`'s sandbox mode loads it; tests and benchmarks may import it.
    // Its own rule names, so the layer fences above and below (no-restricted-imports) do not replace this one.
    files: ['src/**/*.ts', 'workers/**/*.ts'],
    ignores: ['src/bin/embedded-sandbox.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        patterns: [
          { group: ['@resetpc/sandbox', '@resetpc/sandbox/**'], message: 'Only src/bin/embedded-sandbox.ts loads the sandbox; product code does not import it.' },
          { group: ['**/sandbox', '**/sandbox/**', '!@resetpc/sandbox', '!@resetpc/sandbox/**'], message: 'sandbox/ is the sandbox, not product code: only src/bin/embedded-sandbox.ts loads it, as @resetpc/sandbox.' },
        ],
      }],
      'no-restricted-syntax': ['error', {
        selector: "ImportExpression[source.value=/^@resetpc\\/sandbox|(^|\\/)sandbox(\\/|$)/], CallExpression[callee.name='require'][arguments.0.value=/^@resetpc\\/sandbox|(^|\\/)sandbox(\\/|$)/]",
        message: 'Only src/bin/embedded-sandbox.ts loads the sandbox (@resetpc/sandbox).',
      }],
    },
  },
  {
    // The other way round: the sandbox stands alone and imports nothing of the product (its tsconfig's rootDir agrees).
    files: ['sandbox/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/**', '**/workers/**', '**/test/**'], message: 'sandbox/ is a package of its own: it imports nothing of the product.' }] }],
    },
  },
  {
    // The domain is pure: no I/O, no infrastructure.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'net', 'http', 'https', 'child_process'], message: 'src/domain is pure: no I/O.' },
          { group: ['ioredis', 'bullmq', 'fastify', 'pino', '@azure/*', '@microsoft/*', 'undici'], message: 'src/domain is pure: no infrastructure.' },
          { group: ['../*/**', '!../domain/**'], message: 'src/domain imports nothing outside the domain.' },
        ],
      }],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
  },
  {
    files: ['test/**/*.ts', 'bench/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // Jest's asymmetric matchers (expect.any, expect.arrayContaining) are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
);
