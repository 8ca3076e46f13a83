import {defineConfig} from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Packing and installing from the npm registry takes minutes: `npm run test:package` (CI runs it).
    exclude: process.env.MASTOC_TEST_PACKAGE ? [] : ['test/**/*.package.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    // The compiled CLI, which oclif loads natively: tests that run it in process reach the same modules.
    server: {deps: {external: [/\/dist\//]}},
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Every file brings its own databases and Stokt server. Three workers on two cores: the tests
    // also wait on child processes and PostgreSQL, and a third keeps both cores busy meanwhile.
    fileParallelism: true,
    maxWorkers: 3,
    minWorkers: 1,
  },
})
