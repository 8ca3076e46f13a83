import {randomUUID} from 'node:crypto'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {gzipSync} from 'node:zlib'

import {afterAll, afterEach, describe, expect, it} from 'vitest'

import {DEFAULT_PAGE_SIZE} from '../../src/flags.js'
import {type CliResult, expectJsonError} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {DATABASE_KINDS, testDatabases, unavailable, type TestDatabase} from '../support/databases.js'
import {expectedGymData, expectedWithFirstClimbs, readGymData} from '../support/gymData.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {latestRun} from '../support/runs.js'
import {
  climbsCall,
  DEFAULT_PASSWORD,
  DEFAULT_TOKEN,
  DEFAULT_USERNAME,
  isClimbsPage,
  sendJson,
  startStoktServer,
  type RecordedRequest,
  type StoktServer,
} from '../support/stoktServer.js'

/**
 * Stokt misbehaving in ways retries cannot fix — a token refused in mid-run, wrong credentials,
 * climbs created while paging, a `next` link to another origin — provoked for real through the
 * test server's `intercept` hook, against the real CLI.
 */

const GYM_SPEC = {seed: 22, faces: 2, holdsPerFace: 30, climbs: 60, setters: 8}
const PAGE_SIZE = 10
/** What Stokt hands out once the first token has stopped working. */
const ROTATED_TOKEN = 'rotated-token-fedcba9876543210'

describe.each(DATABASE_KINDS)('Stokt refusing, drifting or redirecting, through the CLI, on %s', (kind) => {
  const skip = unavailable(kind)
  const cleanups: (() => Promise<void>)[] = []

  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()))
  })

  const databases = testDatabases(kind)
  afterAll(() => databases.dropAll())
  const freshDatabase = () => databases.fresh()

  const serve = async (gym: GeneratedGym, intercept?: (req: RecordedRequest, res: ServerResponse) => boolean) => {
    const server = await startStoktServer({gym, pageSize: PAGE_SIZE, intercept})
    cleanups.push(() => server.close())
    return server
  }

  const importAll = (
    server: StoktServer,
    gym: GeneratedGym,
    database: TestDatabase,
    flags: string[],
    env: Record<string, string>,
  ): Promise<CliResult> =>
    runCommand(['import', 'all', '--json', '--database', database.url, '--gym', gym.gymId, '--stokt-url', server.url, ...flags], env)

  const LOGIN = {STOKT_USERNAME: DEFAULT_USERNAME, STOKT_PASSWORD: DEFAULT_PASSWORD}

  describe('a token that stops working in mid-run (HTTP 401 from climbs page 3 on)', () => {
    /**
     * Stokt with a token that expires when climbs page 3 is asked for: from then on the old token
     * answers 401, and a login hands out a new token that works — unless `refuseNewToken`. Page 3
     * is held until every face setup has been served, so that the token expires at page 3 whether
     * or not the client fetches pages while it reads the faces.
     */
    const expiringTokenServer = async (gym: GeneratedGym, {refuseNewToken = false} = {}) => {
      let expired = false
      let setupsServed = 0
      let allSetupsServed: () => void = () => {}
      const setupsDone = new Promise<void>((resolve) => (allSetupsServed = resolve))
      const seen: {path: string; page: string | null; authorization: string | undefined}[] = []
      const server = await startStoktServer({
        gym,
        pageSize: PAGE_SIZE,
        intercept: async (req, res) => {
          seen.push({path: req.path, page: req.query.get('page'), authorization: req.headers.authorization})
          if (isClimbsPage(req, gym, 3) && !expired) {
            await setupsDone
            expired = true
          }
          if (!expired) {
            if (req.path.endsWith('/setup') && ++setupsServed === gym.setups.size) setImmediate(allSetupsServed)
            return false
          }
          if (req.path === '/api/token-auth') {
            const form = new URLSearchParams(req.body)
            if (form.get('username') !== DEFAULT_USERNAME || form.get('password') !== DEFAULT_PASSWORD) return false
            sendJson(res, 200, {token: ROTATED_TOKEN})
            return true
          }
          if (req.headers.authorization === `Token ${ROTATED_TOKEN}` && !refuseNewToken) {
            req.headers.authorization = `Token ${DEFAULT_TOKEN}` // the test server knows one token: let it through
            return false
          }
          sendJson(res, 401, {detail: 'Invalid token.'}, {'WWW-Authenticate': 'Token'})
          return true
        },
      })
      cleanups.push(() => server.close())
      return {server, seen}
    }

    it.skipIf(skip)('after a username/password login: logs in again once, then finishes (exit 0)', async () => {
      const gym = generateGym(GYM_SPEC)
      const {server, seen} = await expiringTokenServer(gym)
      const database = await freshDatabase()

      const result = await importAll(server, gym, database, ['--batch-size', '10'], LOGIN)

      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(JSON.parse(result.stdout).climbs).toEqual({created: 60, updated: 0, unchanged: 0, errors: 0, total: 60})
      expect(await readGymData(database.knex())).toEqual(expectedGymData(gym))

      // Two logins in all; page 3 was refused with the old token, then asked for with the new one.
      expect(seen.filter((req) => req.path === '/api/token-auth')).toHaveLength(2)
      const page3 = seen.filter((req) => req.page === '3').map((req) => req.authorization)
      expect(page3).toEqual([`Token ${DEFAULT_TOKEN}`, `Token ${ROTATED_TOKEN}`])
      expect(result.stdout).not.toContain(DEFAULT_PASSWORD)
    })

    it.skipIf(skip)(
      'after a username/password login: fails (exit 1) when the new token is refused too, logging in only once more',
      async () => {
        const gym = generateGym(GYM_SPEC)
        const {server, seen} = await expiringTokenServer(gym, {refuseNewToken: true})
        const database = await freshDatabase()

        const result = await importAll(server, gym, database, ['--batch-size', '10'], LOGIN)

        expect(result.code).toBe(1)
        expectJsonError(result)
        // The failure, last (calls still in flight may have warned before it); no stack trace.
        expect(result.stderr.trim().split('\n').at(-1)).toBe(
          `Error: Stokt refused the token (HTTP 401) on ${climbsCall(gym, 3)}, even after logging in again as ${DEFAULT_USERNAME}`,
        )
        expect(result.stderr).not.toMatch(/\n\s+at /)
        expect(seen.filter((req) => req.path === '/api/token-auth')).toHaveLength(2)
        expect(result.stdout + result.stderr).not.toContain(DEFAULT_PASSWORD)
        expect(result.stdout + result.stderr).not.toContain(ROTATED_TOKEN)
        // Pages 1–2 were two whole batches, committed before the refusal.
        expect(await readGymData(database.knex())).toEqual(expectedWithFirstClimbs(gym, 20))
        expect(await latestRun(database.knex())).toMatchObject({status: 'failed'})
      },
    )

    it.skipIf(skip)('with a bare token (STOKT_TOKEN): fails (exit 1) saying the token was refused, keeping whole batches', async () => {
      const gym = generateGym(GYM_SPEC)
      const {server, seen} = await expiringTokenServer(gym)
      const database = await freshDatabase()

      const result = await importAll(server, gym, database, ['--batch-size', '10'], {STOKT_TOKEN: DEFAULT_TOKEN})

      expect(result.code).toBe(1)
      expectJsonError(result)
      expect(result.stderr.trim().split('\n').at(-1)).toBe(
        `Error: Stokt refused the token (HTTP 401) on ${climbsCall(gym, 3)}, check the token, or log in with a username and password instead`,
      )
      expect(result.stderr).not.toMatch(/\n\s+at /)
      expect(result.stderr).not.toContain(DEFAULT_TOKEN)
      expect(seen.filter((req) => req.path === '/api/token-auth')).toHaveLength(0)
      expect(seen.filter((req) => req.page === '3')).toHaveLength(1)
      expect(await readGymData(database.knex())).toEqual(expectedWithFirstClimbs(gym, 20))
      const run = await latestRun(database.knex())
      expect(run).toMatchObject({status: 'failed'})
      expect(run.error).toContain('Stokt refused the token (HTTP 401)')
    })
  })

  it.skipIf(skip)('fails (exit 1) with one line when Stokt refuses the credentials, the password nowhere', async () => {
    const gym = generateGym(GYM_SPEC)
    const server = await serve(gym)
    const database = await freshDatabase()
    const password = 'Wr0ng-S3cret-pa55word'

    const result = await importAll(server, gym, database, [], {STOKT_USERNAME: DEFAULT_USERNAME, STOKT_PASSWORD: password})

    expect(result.code).toBe(1)
    expectJsonError(result)
    expect(result.stderr.trim().split('\n')).toEqual([`Error: Stokt refused the credentials for ${DEFAULT_USERNAME}`])
    expect(result.stderr).not.toMatch(/\n\s+at /)
    expect(result.stdout + result.stderr).not.toContain(password)
    // One login attempt (a 400 is not retried), nothing else asked, nothing written.
    expect(server.requests.map((req) => `${req.method} ${req.path}`)).toEqual(['POST /api/token-auth'])
    expect(await readGymData(database.knex())).toEqual({gyms: [], faces: [], holds: [], users: [], climbs: []})
    const runs = await database.knex()('import_runs').select('options', 'error', 'summary')
    expect(runs).toHaveLength(1)
    expect(JSON.stringify(runs)).not.toContain(password)
  })

  /** Three new climbs, newest first, to push in front of the list while it is being paged. */
  const newClimbsFor = (gym: GeneratedGym) =>
    gym.climbs.slice(0, 3).map((climb, index) => ({
      ...climb,
      id: randomUUID(),
      name: `Nouveau ${index + 1}`,
      dateCreated: `2026-11-01T0${index}:00:00.000000-05:00`,
    }))

  /** The run saw every climb that existed before it exactly once, each complete, and counted what it wrote. */
  const expectNoneLostNoneTwice = async (result: CliResult, database: TestDatabase, newClimbs: {id: unknown}[]) => {
    const expected = expectedGymData(generateGym(GYM_SPEC)) // the gym before the new climbs
    const oldIds = new Set(expected.climbs.map((climb) => String(climb.stokt_id)))
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const data = await readGymData(database.knex())
    const stored = data.climbs.map((climb) => String(climb.stokt_id))
    expect(new Set(stored).size).toBe(stored.length)
    // Every climb that existed before the run, each complete; the new ones may or may not be there.
    expect(data.climbs.filter((climb) => oldIds.has(String(climb.stokt_id)))).toEqual(expected.climbs)
    expect(stored.filter((id) => !oldIds.has(id)).every((id) => newClimbs.some((climb) => climb.id === id))).toBe(true)
    const summary = JSON.parse(result.stdout)
    expect(summary.rejected).toEqual([])
    expect(summary.climbs).toEqual({created: stored.length, updated: 0, unchanged: 0, errors: 0, total: stored.length})
    expect(summary.users.total).toBe(data.users.length)
  }

  describe.each([
    {strategy: 'batch', flags: ['--batch-size', '15']},
    {strategy: 'row-by-row', flags: ['--no-batch']},
  ])('climbs created while paging ($strategy)', ({flags}) => {
    it.skipIf(skip)('created before page 2 is served: imports every climb exactly once, none lost', async () => {
      const gym = generateGym(GYM_SPEC)
      const newClimbs = newClimbsFor(gym)
      // Page 2 then repeats page 1's last three climbs, and there is one page more than page 1 announced.
      let drifted = false
      const server = await serve(gym, (req) => {
        if (!drifted && !isClimbsPage(req, gym, 1) && req.path.endsWith('/climbs')) {
          drifted = true
          gym.climbs.unshift(...newClimbs)
        }
        return false
      })
      const database = await freshDatabase()

      const result = await importAll(server, gym, database, flags, {STOKT_TOKEN: DEFAULT_TOKEN})

      expect(drifted).toBe(true)
      await expectNoneLostNoneTwice(result, database, newClimbs)
      expect(pagesRead(server)).toEqual(expect.arrayContaining(['1', '2', '3', '4', '5', '6', '7']))
    })

    it.skipIf(skip)('created while later pages are fetched: a page fetched ahead before the drift loses nothing either', async () => {
      const gym = generateGym(GYM_SPEC)
      const newClimbs = newClimbsFor(gym)
      // Page 2 is held until page 3 has been served from the list as it was (a client that fetches
      // ahead asks for both at once; one that does not never asks for page 3 first, and page 2 is
      // released after a while). Then the new climbs arrive, then page 2 is served.
      let drifted = false
      let page3Served: () => void = () => {}
      const page3 = new Promise<void>((resolve) => (page3Served = resolve))
      const server = await startStoktServer({
        gym,
        pageSize: PAGE_SIZE,
        intercept: async (req) => {
          if (drifted) return false
          if (isClimbsPage(req, gym, 3)) {
            setImmediate(page3Served) // once the route below has answered it
          } else if (isClimbsPage(req, gym, 2)) {
            await Promise.race([page3, new Promise((resolve) => setTimeout(resolve, 300))])
            drifted = true
            gym.climbs.unshift(...newClimbs)
          }
          return false
        },
      })
      cleanups.push(() => server.close())
      const database = await freshDatabase()

      const result = await importAll(server, gym, database, flags, {STOKT_TOKEN: DEFAULT_TOKEN})

      expect(drifted).toBe(true)
      await expectNoneLostNoneTwice(result, database, newClimbs)
    })
  })

  it.skipIf(skip)(
    'a last page linking back to page 1 through a cache-buster: fails (exit 1) saying so, keeping whole batches',
    async () => {
      const gym = generateGym(GYM_SPEC)
      const lastPage = gym.climbs.length / PAGE_SIZE
      // Every next link carries a new `_=…`, so no link repeats an earlier URL; page 6 links to page 1.
      // After 100 pages the list ends, so that a client that never stops still finishes.
      let served = 0
      const server = await serve(gym, (req, res) => {
        if (!req.path.endsWith('/climbs')) return false
        served += 1
        const page = Number(req.query.get('page') ?? '1')
        const nextPage = page < lastPage ? page + 1 : 1
        const next =
          served < 100 ? `${server.url}${req.path}?max_age=${req.query.get('max_age')}&page=${nextPage}&_=${Math.random()}` : null
        sendJson(res, 200, {
          count: gym.climbs.length,
          next,
          previous: null,
          results: gym.climbs.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
        })
        return true
      })
      const database = await freshDatabase()

      const result = await importAll(server, gym, database, ['--batch-size', '25'], {STOKT_TOKEN: DEFAULT_TOKEN})

      expect(result.code).toBe(1)
      expectJsonError(result)
      expect(result.stderr.trim()).toBe(
        `Error: ${climbsCall(gym, lastPage + 1)}: the previous page's next link repeats an earlier page; stopping`,
      )
      // Every page was read, and served: the two whole batches of 25 are kept, not the last 10 climbs.
      expect(new Set(pagesRead(server))).toEqual(new Set(['1', '2', '3', '4', '5', '6']))
      expect(await readGymData(database.knex())).toEqual(expectedWithFirstClimbs(gym, 50))
      expect(await latestRun(database.knex())).toMatchObject({status: 'failed'})
    },
  )

  it.skipIf(skip)(
    'empty pages announcing a trillion climbs, each with a fresh next link: stops (exit 1) after 10 such pages, naming them',
    async () => {
      const gym = generateGym(GYM_SPEC)
      // Page 1 serves the first 10 climbs; every later page is empty and links on. After 200 pages
      // the list ends, so that a client that never stops still finishes.
      let served = 0
      const server = await serve(gym, (req, res) => {
        if (!req.path.endsWith('/climbs')) return false
        served += 1
        const next = served < 200 ? `${server.url}${req.path}?max_age=${req.query.get('max_age')}&cursor=${randomUUID()}` : null
        sendJson(res, 200, {count: 1e12, next, previous: null, results: served === 1 ? gym.climbs.slice(0, PAGE_SIZE) : []})
        return true
      })
      const database = await freshDatabase()

      const result = await importAll(server, gym, database, ['--batch-size', '10'], {STOKT_TOKEN: DEFAULT_TOKEN})

      expect(result.code).toBe(1)
      expectJsonError(result)
      expect(result.stderr.trim()).toBe(
        `Error: ${climbsCall(gym, 12)}: the last 10 pages brought no climb not already read, yet link to more; stopping`,
      )
      expect(served).toBe(11)
      expect(await readGymData(database.knex())).toEqual(expectedWithFirstClimbs(gym, 10))
      expect(await latestRun(database.knex())).toMatchObject({status: 'failed'})
    },
  )

  it.skipIf(skip)(
    'a climbs page that is a gzip bomb (1 MB expanding to 1 GiB): fails (exit 1) at 64 MiB, naming the URL, keeping whole batches',
    async () => {
      const gym = generateGym(GYM_SPEC)
      // One gzip member of 1 MiB of zeros, 1024 times: a gzip stream may hold many members.
      const member = gzipSync(Buffer.alloc(1024 * 1024))
      const bomb = Buffer.concat(Array.from({length: 1024}, () => member))
      const server = await serve(gym, (req, res) => {
        if (!isClimbsPage(req, gym, 2)) return false
        res.writeHead(200, {'Content-Type': 'application/json', 'Content-Encoding': 'gzip', 'Content-Length': String(bomb.length)})
        res.end(bomb)
        return true
      })
      const database = await freshDatabase()

      const result = await importAll(server, gym, database, ['--batch-size', '10', '--concurrency', '1'], {STOKT_TOKEN: DEFAULT_TOKEN})

      expect(result.code).toBe(1)
      expectJsonError(result)
      expect(result.stderr.trim()).toBe(
        `Error: ${climbsCall(gym, 2)} failed: Stokt's answer (${server.url}/api/gyms/${gym.gymId}/climbs?max_age=9999&page_size=${DEFAULT_PAGE_SIZE}&page=2) is larger than 64 MiB, the most the client reads`,
      )
      expect(await readGymData(database.knex())).toEqual(expectedWithFirstClimbs(gym, 10))
      expect(await latestRun(database.knex())).toMatchObject({status: 'failed'})
    },
  )

  it.skipIf(skip)(
    'climbs deleted while paging, so that the last page vanishes: reads the list again from page 1 and imports every climb (exit 0)',
    async () => {
      const gym = generateGym(GYM_SPEC)
      // Page 6 is held until pages 1–5 have been served from the 60 climbs (the client asks for pages
      // ahead); then the 10 newest climbs are deleted, and page 6, which page 5 links to, answers 404.
      const served = new Set<string>()
      let firstPagesServed: () => void = () => {}
      const firstPages = new Promise<void>((resolve) => (firstPagesServed = resolve))
      let deleted = false
      const server = await startStoktServer({
        gym,
        pageSize: PAGE_SIZE,
        intercept: async (req) => {
          if (deleted || !req.path.endsWith('/climbs')) return false
          const page = req.query.get('page') ?? '1'
          if (page === '6') {
            await firstPages
            gym.climbs.splice(0, 10)
            deleted = true
          } else {
            served.add(page)
            if (served.size === 5) setImmediate(firstPagesServed) // once the route below has answered it
          }
          return false
        },
      })
      cleanups.push(() => server.close())
      const database = await freshDatabase()

      const result = await importAll(server, gym, database, ['--batch-size', '15'], {STOKT_TOKEN: DEFAULT_TOKEN})

      expect(deleted).toBe(true)
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(pagesRead(server).slice(-5)).toEqual(['1', '2', '3', '4', '5'])
      // Every climb, once: the 10 deleted ones were read (and imported) before they went; the
      // importer never deletes a climb.
      const summary = JSON.parse(result.stdout)
      expect(summary.climbs).toEqual({created: 60, updated: 0, unchanged: 0, errors: 0, total: 60})
      expect(summary.rejected).toEqual([])
      expect(await readGymData(database.knex())).toEqual(expectedGymData(generateGym(GYM_SPEC)))
      expect(await latestRun(database.knex())).toMatchObject({status: 'succeeded'})
    },
  )

  describe.each([
    {stokt: 'honours it', server: {honourPageSize: true}, pages: 3, size: '25'},
    {stokt: 'ignores it (pages of 10)', server: {}, pages: 6, size: '25'},
    {stokt: 'caps it at 15', server: {honourPageSize: true, maxPageSize: 15}, pages: 4, size: '25'},
    {stokt: 'gets the default page size', server: {honourPageSize: true}, pages: 1, size: undefined},
  ])('--page-size when Stokt $stokt', ({server: behaviour, pages, size}) => {
    it.skipIf(skip)('imports every climb exactly once, reading the pages Stokt serves', async () => {
      const gym = generateGym(GYM_SPEC)
      const server = await startStoktServer({gym, pageSize: PAGE_SIZE, ...behaviour})
      cleanups.push(() => server.close())
      const database = await freshDatabase()

      const result = await importAll(server, gym, database, size === undefined ? [] : ['--page-size', size], {STOKT_TOKEN: DEFAULT_TOKEN})

      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      const summary = JSON.parse(result.stdout)
      expect(summary.climbs).toEqual({created: 60, updated: 0, unchanged: 0, errors: 0, total: 60})
      expect(await readGymData(database.knex())).toEqual(expectedGymData(generateGym(GYM_SPEC)))
      expect(new Set(pagesRead(server))).toEqual(new Set(Array.from({length: pages}, (_, index) => String(index + 1))))
    })
  })

  describe('a next link to another origin', () => {
    /** A server that records what reaches it and would serve the rest of the climbs, had it the chance. */
    const startTrap = async (host: string, gym: GeneratedGym) => {
      const received: {url: string; authorization: string | undefined}[] = []
      const trap: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
        received.push({url: req.url ?? '', authorization: req.headers.authorization})
        sendJson(res, 200, {count: gym.climbs.length, next: null, previous: null, results: gym.climbs.slice(PAGE_SIZE)})
      })
      await new Promise<void>((resolve, reject) => {
        trap.once('error', reject)
        trap.listen(0, host, () => resolve())
      })
      cleanups.push(
        () =>
          new Promise<void>((resolve) => {
            trap.closeAllConnections()
            trap.close(() => resolve())
          }),
      )
      return {url: `http://${host}:${(trap.address() as AddressInfo).port}`, received}
    }

    /** Stokt whose first climbs page links its next page to `nextOrigin`. */
    const serveLinkingTo = (gym: GeneratedGym, nextOrigin: string) =>
      serve(gym, (req, res) => {
        if (!isClimbsPage(req, gym, 1)) return false
        const next = `${nextOrigin}${req.path}?max_age=${req.query.get('max_age')}&page=2`
        sendJson(res, 200, {count: gym.climbs.length, next, previous: null, results: gym.climbs.slice(0, PAGE_SIZE)})
        return true
      })

    it.skipIf(skip)('on another host: never sends it the token, fails (exit 1) with a clear message, keeping whole batches', async () => {
      const gym = generateGym(GYM_SPEC)
      const trap = await startTrap('127.0.0.2', gym)
      const server = await serveLinkingTo(gym, trap.url)
      const database = await freshDatabase()

      const result = await importAll(server, gym, database, ['--batch-size', '10'], LOGIN)

      expect(trap.received).toEqual([])
      expect(result.code).toBe(1)
      expectJsonError(result)
      expect(result.stderr.trim()).toBe(
        `Error: ${climbsCall(gym, 1)}: the next link points to another origin ${trap.url}; ` +
          `refusing to send the token there (Stokt is ${server.url})`,
      )
      expect(result.stdout + result.stderr).not.toContain(DEFAULT_PASSWORD)
      // Page 1 is one whole batch: committed if the client worked on it before reading its link
      // (whether it does is the client's choice), and nothing else either way.
      const committed = (await readGymData(database.knex())).climbs.length
      expect([0, 10]).toContain(committed)
      expect(await readGymData(database.knex())).toEqual(expectedWithFirstClimbs(gym, committed))
      expect(await latestRun(database.knex())).toMatchObject({status: 'failed'})
    })

    it.skipIf(skip)("on Stokt's own host but another port: follows it on the configured origin only", async () => {
      const gym = generateGym(GYM_SPEC)
      const trap = await startTrap('127.0.0.1', gym)
      const server = await serveLinkingTo(gym, trap.url)
      const database = await freshDatabase()

      const result = await importAll(server, gym, database, [], {STOKT_TOKEN: DEFAULT_TOKEN})

      expect(trap.received).toEqual([])
      expect(result.code).toBe(0)
      expect(await readGymData(database.knex())).toEqual(expectedGymData(gym))
      // Pages fetched ahead (past the end, too) are allowed; every page was read from Stokt itself.
      expect(pagesRead(server)).toEqual(expect.arrayContaining(['1', '2', '3', '4', '5', '6']))
    })
  })
})

/** The climbs pages the server was asked for, in order of arrival. */
function pagesRead(server: StoktServer): string[] {
  return server.requests.filter((req) => req.path.endsWith('/climbs')).map((req) => req.query.get('page') ?? '1')
}
