import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Integration suites share real servers (PostgreSQL, MariaDB, the Go service); two workers
    // keep the machine's 2 cores busy without starving the servers.
    maxWorkers: 2,
  },
});
