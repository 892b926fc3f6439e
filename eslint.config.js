// ESLint flat config: typescript-eslint's recommended rules on every package, tests and scripts;
// formatting is Prettier's job (eslint-config-prettier turns off the rules that clash).
const tseslint = require('typescript-eslint');
const prettier = require('eslint-config-prettier');

module.exports = tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/lib/**',
      'build/**',
      'app/.generated/**',
      'ui-tests/.cache/**',
      'ui-tests/artifacts/**',
      'examples/data/**'
    ]
  },
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
      ]
    }
  },
  {
    // Browser tests reach into the app through `window.jupyterapp`, which has no types there.
    files: ['ui-tests/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' }
  },
  {
    // Plain JS config and scripts are CommonJS where Node or the tool expects it.
    files: ['**/*.js'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly'
      }
    }
  }
);
