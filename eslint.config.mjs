// Flat config: ESLint's recommended rules, typescript-eslint's type-checked rules (through the
// TypeScript project service, so each file is checked with the tsconfig that includes it),
// and eslint-config-prettier last so formatting is Prettier's alone.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // test/fixtures holds code written to break the architecture rules (see test/architecture).
  globalIgnores(['dist/', 'node_modules/', 'coverage/', '.data/', 'test/fixtures/']),
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  // Plain JavaScript config files are outside every tsconfig: lint them without types.
  {
    files: ['**/*.{js,cjs,mjs}'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  {
    files: ['**/*.{js,cjs}'],
    languageOptions: {
      sourceType: 'commonjs',
      // Node's CommonJS globals (the `globals` package is not a dependency here).
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
