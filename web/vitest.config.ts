import react from '@vitejs/plugin-react';
import { defineProject } from 'vitest/config';

// The web app's unit and component tests: jsdom, React Testing Library.
export default defineProject({
  plugins: [react()],
  test: {
    name: 'web',
    root: import.meta.dirname,
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    // make test runs these beside the stack suites on two cores: a screen that takes 1 s alone
    // can take 6 s there. The timeout guards against hangs, not speed (bench/ measures that).
    testTimeout: 20_000,
  },
});
