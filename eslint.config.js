// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The repository's lint: type-checked typescript-eslint rules on every TypeScript file, plus the
 * house rules of DESIGN §7 on published sources (no file over 400 lines, no function over 80).
 * Formatting is Prettier's job (`pnpm format:check`), not ESLint's.
 */
export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', '**/*.d.ts', '.turbo/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
