// Lint: typescript-eslint's recommended rules plus one line-length limit, shared with Prettier's printWidth.
import stylistic from '@stylistic/eslint-plugin';
import tseslint from 'typescript-eslint';
import prettierConfig from './.prettierrc.json' with { type: 'json' };

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'bench/out/', '.ci/', 'src/gen/', 'examples/gen/'] },
  ...tseslint.configs.recommended,
  {
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/max-len': ['error', { code: prettierConfig.printWidth, tabWidth: 2 }],
      // A leading underscore marks a parameter or binding that is unused on purpose (grpc-js callback shapes).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
