// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The repository's lint: type-checked typescript-eslint rules on every TypeScript file, plus the
 * house rules of DESIGN §7 on published sources (no file over 400 lines, no function over 80).
 * Formatting is Prettier's job (`pnpm lint` runs `prettier --check`), not ESLint's.
 */

/** Published sources: what users install, held to the house rules of DESIGN §7. */
const PUBLISHED_SOURCES = ['packages/*/src/**/*.ts', 'plugins/*/src/**/*.ts'];

/** Tests and their helpers, wherever they live. */
const TESTS = ['**/test/**/*.ts', 'test/**/*.ts'];

/**
 * The Node globals our plain .mjs scripts and fixture servers use. Listed here rather than taken
 * from the `globals` package: these few never change, and a dependency for them is not worth it.
 */
const NODE_GLOBALS = /** @type {const} */ ({
  process: 'readonly',
  console: 'readonly',
  Buffer: 'readonly',
  URL: 'readonly',
  URLSearchParams: 'readonly',
  AbortController: 'readonly',
  AbortSignal: 'readonly',
  TextEncoder: 'readonly',
  TextDecoder: 'readonly',
  fetch: 'readonly',
  performance: 'readonly',
  queueMicrotask: 'readonly',
  structuredClone: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
  setImmediate: 'readonly',
  clearImmediate: 'readonly',
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', '**/*.d.ts', '**/.turbo/**'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      // One program over the whole repository (tsconfig.eslint.json): the project service would build
      // one program per package, each re-checking its dependencies' sources, several times slower.
      parserOptions: { project: './tsconfig.eslint.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Passing on what was caught (`unknown`) or an AbortSignal's reason (`any`) keeps the original failure;
      // wrapping it would lose its class and code. A reason typed as anything else but an Error is still reported.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true, allowThrowingAny: true }],
      // `let x; onEvent(() => use(x)); x = await make()`: a listener set up before the assignment may run
      // before it, and a `const` there would throw (temporal dead zone) instead of seeing undefined.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // A leading underscore marks a value kept on purpose (a destructured-away field, a positional parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: NODE_GLOBALS },
  },
  {
    // DESIGN §7: no file over 400 lines, no function over 80 (blank lines and comments do not count).
    files: PUBLISHED_SOURCES,
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: TESTS,
    rules: {
      // Tests read JSON answers (`any` from JSON.parse, `res.json()`, SDK results) and assert on their
      // shape with expect(): the no-unsafe-* family only asks for casts that prove nothing more.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      // `expect(obj.method).toHaveBeenCalled()` and vi.spyOn targets pass methods unbound on purpose.
      '@typescript-eslint/unbound-method': 'off',
      // Fake servers and plugins implement async interfaces (SDK handlers, hooks) without awaiting anything.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
