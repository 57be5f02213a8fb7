import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', 'build/**', '.data/**'],
    // Integration suites start real servers (nats-server, the embedded MongoDB, services):
    // two cores, so run files two at a time and give setup room.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
