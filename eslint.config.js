import js from '@eslint/js'
import prettier from 'eslint-config-prettier'
import tseslint from 'typescript-eslint'

/**
 * The layers (docs/architecture.md): commands → cli → import → stokt, db → common. An arrow never
 * points up: the database and Stokt sides know nothing of the import service, and nothing below
 * the command layer knows oclif.
 */
const OCLIF = {group: ['@oclif/*'], message: 'only src/commands and src/lib/cli know oclif'}
const layer = (files, forbidden) => ({
  files,
  rules: {'no-restricted-imports': ['error', {patterns: [OCLIF, ...forbidden].filter(Boolean)}]},
})
const above = (...dirs) => ({
  group: dirs.flatMap((dir) => [`../${dir}/*`, `../../${dir}/*`, `**/lib/${dir}/*`]),
  message: `a lower layer never imports ${dirs.join(' or ')}/`,
})

export default tseslint.config(
  {ignores: ['dist/', 'bench-results/', 'node_modules/', 'test/fixtures/']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {globals: {process: 'readonly', console: 'readonly', URL: 'readonly'}},
  },
  {
    rules: {
      // Terminal escapes and control characters are what some patterns are for (progress, masking).
      'no-control-regex': 'off',
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none'}],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  layer(['src/lib/common/**'], [above('import', 'db', 'stokt', 'output', 'cli')]),
  layer(['src/lib/db/**'], [above('import', 'output', 'cli', 'stokt')]),
  layer(['src/lib/stokt/**'], [above('import', 'output', 'cli', 'db')]),
  layer(['src/lib/import/**'], [above('output', 'cli')]),
  layer(['src/lib/output/**'], [above('cli')]),
)
