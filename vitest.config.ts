import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration and e2e tests start servers and Redis queues and spend much of their time
    // waiting on them: three forks on two cores ran the suite in 416 s instead of 568 s.
    pool: 'forks',
    maxWorkers: 3,
    fileParallelism: true,
  },
});
