import {it as base} from 'vitest'

import {startStoktServer, type StoktServer, type StoktServerOptions} from './stoktServer.js'

export interface StoktServerFixtures {
  /** Starts a Stokt test server for this test alone: closed once the test is over, however it ends. */
  withStoktServer: (options: StoktServerOptions) => Promise<StoktServer>
}

/** vitest's `it`, whose tests can take `withStoktServer` rather than closing their servers in a finally block. */
export const it = base.extend<StoktServerFixtures>({
  // eslint-disable-next-line no-empty-pattern -- vitest reads a fixture's dependencies from this pattern: none
  withStoktServer: async ({}, use) => {
    const servers: StoktServer[] = []
    await use(async (options) => {
      const server = await startStoktServer(options)
      servers.push(server)
      return server
    })
    await Promise.all(servers.map((server) => server.close()))
  },
})
