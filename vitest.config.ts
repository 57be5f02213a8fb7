import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration suites start real servers (nats-server, the embedded MongoDB, services):
    // two cores, so run files two at a time and give setup room.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    // A whole stack starts in a beforeAll: ~10 s alone, over 60 s on a loaded CI box (a file whose
    // start timed out there skipped all its tests). Hooks guard against hangs, not speed.
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'system',
          include: ['**/*.test.ts'],
          exclude: ['**/node_modules/**', 'build/**', '.data/**', 'web/src/**'],
        },
      },
      './web/vitest.config.ts',
    ],
  },
});
