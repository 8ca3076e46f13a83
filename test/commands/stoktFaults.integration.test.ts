import type {ServerResponse} from 'node:http'

import {afterAll, afterEach, describe, expect, it} from 'vitest'

import {type CliResult, expectJsonError} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {DATABASE_KINDS, testDatabases, unavailable, type TestDatabase} from '../support/databases.js'
import {expectedGymData, expectedWithFirstClimbs, readGymData} from '../support/gymData.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {latestRun} from '../support/runs.js'
import {
  climbsCall,
  DEFAULT_TOKEN,
  isClimbsPage,
  sendJson,
  startStoktServer,
  type RecordedRequest,
  type StoktServer,
} from '../support/stoktServer.js'

/**
 * Stokt misbehaving in passing ways — throttling, server errors, a response that never comes, a
 * connection reset — provoked for real by the test server's `intercept` hook, against the real CLI.
 * A fault that clears is retried with backoff and the run completes; one that never clears fails
 * the run (exit 1) naming the call, and leaves exactly the batches committed before it.
 */

const GYM_SPEC = {seed: 21, faces: 2, holdsPerFace: 30, climbs: 60, setters: 8}
const PAGE_SIZE = 10

interface Fault {
  name: string
  /** Answers (or fails to answer) the request in place of the server. */
  inject(res: ServerResponse): void
  /** How the client names the failure in its messages. */
  reason: string
  /** The least time between the faulty attempt's arrival and the next attempt's, in ms. */
  minGapMs: number
}

const FAULTS: Fault[] = [
  {
    name: '429 with Retry-After: 1',
    inject: (res) => sendJson(res, 429, {detail: 'Request was throttled. Expected available in 1 second.'}, {'Retry-After': '1'}),
    reason: 'HTTP 429 (Retry-After 1 s)',
    minGapMs: 1000,
  },
  {
    name: 'a 502 from a proxy (an HTML page)',
    inject: (res) => {
      res.writeHead(502, {'Content-Type': 'text/html'})
      res.end('<html><body><h1>502 Bad Gateway</h1></body></html>')
    },
    reason: 'HTTP 502',
    minGapMs: 500, // the backoff's first delay: 500 ms plus jitter
  },
  {
    name: 'a timeout (no answer within --timeout 1)',
    inject: () => {}, // never answers; the client gives up after 1 s
    reason: 'timed out after 1 s',
    minGapMs: 1500, // the 1 s timeout, then the backoff
  },
  {
    name: 'a reset connection',
    inject: (res) => res.socket?.destroy(),
    reason: 'connection reset',
    minGapMs: 500,
  },
]

/** Timer resolution: a wait may end a few ms before its nominal delay. */
const CLOCK_SLACK_MS = 30

describe.each(DATABASE_KINDS)('Stokt failing in passing ways, through the CLI, on %s', (kind) => {
  const skip = unavailable(kind)
  const servers: StoktServer[] = []
  const databases = testDatabases(kind)

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()))
  })
  afterAll(() => databases.dropAll())

  /** A server whose requests arrive at `intercept` first, each with its arrival time. */
  const serve = async (gym: GeneratedGym, intercept: (req: RecordedRequest, res: ServerResponse, arrivedMs: number) => boolean) => {
    const server = await startStoktServer({gym, pageSize: PAGE_SIZE, intercept: (req, res) => intercept(req, res, Date.now())})
    servers.push(server)
    return server
  }

  const importAll = (server: StoktServer, gym: GeneratedGym, database: TestDatabase, flags: string[]): Promise<CliResult> =>
    runCommand(
      ['import', 'all', '--json', '--database', database.url, '--gym', gym.gymId, '--stokt-url', server.url, '--timeout', '1', ...flags],
      {
        STOKT_TOKEN: DEFAULT_TOKEN,
      },
    )

  describe.each(FAULTS)('$name', (fault) => {
    it.skipIf(skip)('is retried with backoff at a face setup and at a climbs page, then the import completes (exit 0)', async () => {
      const gym = generateGym(GYM_SPEC)
      const faceId = [...gym.setups.keys()][0]
      const setupPath = `/api/faces/${faceId}/setup`
      const arrivals = {setup: [] as number[], page2: [] as number[]}
      const server = await serve(gym, (req, res, arrivedMs) => {
        const target = req.path === setupPath ? arrivals.setup : isClimbsPage(req, gym, 2) ? arrivals.page2 : undefined
        if (target === undefined) return false
        target.push(arrivedMs)
        if (target.length > 1) return false // the fault clears: the retry is answered
        fault.inject(res)
        return true
      })
      const database = await databases.fresh()

      const result = await importAll(server, gym, database, ['--retries', '2'])

      expect(result.stderr).not.toMatch(/^Error/m)
      expect(result.code).toBe(0)
      const summary = JSON.parse(result.stdout)
      expect(summary.rejected).toEqual([])
      expect(summary.climbs).toEqual({created: 60, updated: 0, unchanged: 0, errors: 0, total: 60})
      expect(await readGymData(database.knex())).toEqual(expectedGymData(gym))

      // Each faulty call was tried exactly twice, the second time after the backoff.
      for (const [call, times] of [
        [`GET ${setupPath}`, arrivals.setup],
        [climbsCall(gym, 2), arrivals.page2],
      ] as const) {
        expect(times).toHaveLength(2)
        expect(times[1] - times[0]).toBeGreaterThanOrEqual(fault.minGapMs - CLOCK_SLACK_MS)
        expect(result.stderr).toContain(`warning: ${call}: ${fault.reason}; retrying in `)
      }
      expect(await latestRun(database.knex())).toMatchObject({status: 'succeeded', error: null})
      expect(result.stdout + result.stderr).not.toContain(DEFAULT_TOKEN)
    })
  })

  const NEVER_RECOVERS = [
    {fault: FAULTS[0], batchSize: 10, committed: 20}, // pages 1–2 = two whole batches
    {fault: FAULTS[1], batchSize: 10, committed: 20},
    {fault: FAULTS[2], batchSize: 15, committed: 15}, // one whole batch; page 2's last 5 climbs were pending
    {fault: FAULTS[3], batchSize: 15, committed: 15},
  ]

  describe.each(NEVER_RECOVERS)('$fault.name on every attempt at climbs page 3', ({fault, batchSize, committed}) => {
    it.skipIf(skip)(`fails (exit 1) naming the call, keeping the ${committed} climbs of the whole batches committed before`, async () => {
      const gym = generateGym(GYM_SPEC)
      let page3Attempts = 0
      const server = await serve(gym, (req, res) => {
        if (!isClimbsPage(req, gym, 3)) return false
        page3Attempts++
        fault.inject(res)
        return true
      })
      const database = await databases.fresh()

      const result = await importAll(server, gym, database, ['--retries', '1', '--batch-size', String(batchSize)])

      expect(result.code).toBe(1)
      expectJsonError(result)
      // One warning for the retry of page 3, then the failure: one line, no stack trace.
      const lines = result.stderr.trim().split('\n')
      expect(lines.filter((line) => line.includes(`warning: ${climbsCall(gym, 3)}:`))).toEqual([
        expect.stringContaining(`warning: ${climbsCall(gym, 3)}: ${fault.reason}; retrying in `),
      ])
      expect(lines.at(-1)).toBe(`Error: ${climbsCall(gym, 3)} failed after 2 attempts: ${fault.reason}`)
      expect(result.stderr).not.toMatch(/\n\s+at /)
      expect(page3Attempts).toBe(2)

      // The gym, faces and holds, and exactly the climbs (and their setters) of the committed
      // batches, each complete: no climb of the batch that was still being filled.
      expect(await readGymData(database.knex())).toEqual(expectedWithFirstClimbs(gym, committed))
      const run = await latestRun(database.knex())
      expect(run.status).toBe('failed')
      expect(run.error).toContain(`${climbsCall(gym, 3)} failed after 2 attempts`)
    })
  })
})
