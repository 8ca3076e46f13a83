import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Every file brings its own databases and Stokt server; two cores.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
  },
})
