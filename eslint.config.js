// Lint: a few type-aware rules that catch real bugs (a promise nobody awaits or
// catches, a promise where a plain value is expected, unused code), not style.
// Run by `npm test` after the build (`npm run lint` alone).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        projectService: { allowDefaultProject: ['vitest.config.ts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // A promise that is neither awaited, returned, nor given a rejection handler:
      // its failure is an unhandled rejection that kills the process (mark a
      // deliberate fire-and-forget with `void`).
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function where a callback's return value is ignored (event handlers,
      // forEach), or a promise in a condition (always truthy).
      '@typescript-eslint/no-misused-promises': 'error',
      // `await` on something that is not a promise: a mistaken belief about an API.
      '@typescript-eslint/await-thenable': 'error',
      // Unused code: variables, imports, caught errors never read (tsc's
      // noUnusedLocals misses destructured and caught ones).
      '@typescript-eslint/no-unused-vars': ['error', { args: 'none', caughtErrors: 'none', ignoreRestSiblings: true }],
      // A switch over a union that forgets a member.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // Throwing something that is not an Error loses the stack.
      '@typescript-eslint/only-throw-error': 'error',
      // Statements that do nothing, or never run.
      '@typescript-eslint/no-unused-expressions': 'error',
      'no-unreachable': 'error',
      'no-unsafe-finally': 'error',
      // Conditions that cannot be what was meant.
      'no-constant-binary-expression': 'error',
      'no-self-compare': 'error',
      'no-dupe-else-if': 'error',
    },
  },
  {
    // The project rule: no `any` in the engine and the protocol layer.
    files: ['engine/**/*.ts', 'protocol/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
);
