import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/harness/cleanup.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'broker', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, 'test/container/**'] },
      },
      {
        // Real containers (test/container/docker-env.sh): the daemon and the image are
        // made ready once per run, and only when one of these files runs.
        extends: true,
        test: {
          name: 'container',
          include: ['test/container/**/*.test.ts'],
          globalSetup: ['test/container/global-setup.ts'],
          // Its reaper image cannot be pulled here: the suites remove what they make.
          env: { TESTCONTAINERS_RYUK_DISABLED: 'true' },
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
