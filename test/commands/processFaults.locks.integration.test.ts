import {hostname} from 'node:os'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Knex} from 'knex'
import {describe, expect} from 'vitest'

import {type ChildHandle, expectJsonError, importArgs, runCli, startCli, waitFor} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {createTestDatabase, DATABASE_KINDS, unavailable, type DatabaseKind, type TestDatabase} from '../support/databases.js'
import {expectedGymData, readGymData, type GymData, type Row} from '../support/gymData.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {DEFAULT_TOKEN, startStoktServer, type RecordedRequest, type StoktServer} from '../support/stoktServer.js'
import {it} from '../support/withStoktServer.js'

/**
 * Two imports at once, through the real CLI: one import per gym and database at a time. The first
 * run is held in the middle of its climbs (the Stokt test server does not answer its page 3 until
 * the test says so), so the second one always meets it there:
 * - without --wait-lock the second exits 1 at once, naming the holder and since when, having
 *   fetched nothing; `mastoc status --json` lists the holder under `locks`;
 * - with --wait-lock it waits, then runs once the first has finished;
 * - SIGINT while it waits stops it (exit 130);
 * - an import of another gym into the same database is not held up.
 * A lock left by a killed process (PostgreSQL: freed with its session; SQLite: taken over once its
 * heartbeat is 30 s old) is proved in processFaults.integration.test.ts, after each SIGKILL.
 */

const GYM_SPEC = {seed: 43, faces: 2, holdsPerFace: 30, climbs: 50, setters: 6}
const PAGE_SIZE = 10
const LATENCY_MS = 10
const HOST = hostname()
/** The first run: held at page 3 for as long as a test needs (hence no Stokt timeout meanwhile). */
const FIRST_RUN_FLAGS = ['--concurrency', '1', '--batch-size', '10', '--timeout', '600', '--json']
const INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/

describe.each(DATABASE_KINDS)('two imports at once, on %s', (kind) => {
  const skip = unavailable(kind)

  it.skipIf(skip)('the second exits 1 at once naming the holder; with --wait-lock it waits, then succeeds', async () => {
    await withEnvironment(kind, async (env) => {
      const {gym, database} = env
      const db = database.knex()
      const first = env.start(gym, FIRST_RUN_FLAGS)
      await env.firstHeld(first)
      const [firstRun] = await runs(db)
      expect(firstRun.status).toBe('running')

      // `mastoc status` shows who holds the gym, and since when.
      const status = await runCommand(['status', '--json', '--database', database.url])
      expect(status.code).toBe(0)
      const {locks} = JSON.parse(status.stdout)
      expect(locks).toEqual([
        {
          gymStoktId: gym.gymId,
          runId: firstRun.id,
          holder: `pid ${first.pid} on ${HOST}, import all`,
          acquiredAt: expect.stringMatching(INSTANT),
          heartbeatAt: expect.stringMatching(INSTANT),
        },
      ])
      const since = locks[0].acquiredAt as string

      // No wait: refused at once, before anything is fetched.
      const requestsBefore = env.server.requests.length
      const refused = await runCommand(importArgs(env.server, gym, database, ['--json']), {STOKT_TOKEN: DEFAULT_TOKEN})
      const message = `another import of gym ${gym.gymId} holds the lock: pid ${first.pid} on ${HOST}, import all, since ${since} (waited 0 s); run again once it has finished, or give --wait-lock SECONDS to wait for it`
      expect(refused.code).toBe(1)
      expectJsonError(refused)
      expect(refused.stderr).toBe(`Error: ${message}\n`)
      expect(env.server.requests.length).toBe(requestsBefore)
      expect((await runs(db))[0]).toMatchObject({status: 'failed', error: message})

      // --wait-lock: it waits (fetching nothing) while the first run holds the gym, saying so on
      // stderr once (stdout is the summary's)…
      const waiting = env.start(gym, ['--wait-lock', '60', '--json'])
      const waitLine = `waiting up to 60 s for the lock on gym ${gym.gymId}, held by pid ${first.pid} on ${HOST}, import all, since ${since}`
      await waitFor('the waiting run to say it waits', () => (waiting.stderr().includes(waitLine) ? true : undefined), waiting)
      expect(waiting.exited()).toBe(false)
      expect((await runs(db)).length).toBe(3)
      expect(env.server.requests.length).toBe(requestsBefore)
      // Its run says it waits (so that a run taking the gym's lock meanwhile does not think it dead).
      const waitingRunId = (await runs(db))[0].id
      expect((await runs(db))[0].status).toBe('waiting')

      // …and runs once it has finished: everything is there already.
      env.releaseFirst()
      const firstResult = await first.result
      expect(firstResult.stderr).toBe('')
      expect(firstResult.code).toBe(0)
      const waited = await waiting.result
      expect(waited.stderr).toMatch(new RegExp(`^\\S+Z ${escapeRegExp(waitLine)}\n$`))
      expect(waited.code).toBe(0)
      const summary = JSON.parse(waited.stdout)
      expect(summary.climbs).toEqual({created: 0, updated: 0, unchanged: GYM_SPEC.climbs, errors: 0, total: GYM_SPEC.climbs})
      expect(await readGymData(db)).toEqual(expectedGymData(gym))

      const byId = new Map((await runs(db)).map((run) => [run.id, run]))
      expect(byId.get(firstRun.id)).toMatchObject({status: 'succeeded'})
      expect(byId.get(waitingRunId)).toMatchObject({status: 'succeeded'})
      // It started before the first had finished, and finished after.
      expect(byId.get(waitingRunId)!.started_at < byId.get(firstRun.id)!.finished_at!).toBe(true)
      expect(JSON.parse((await runCommand(['status', '--json', '--database', database.url])).stdout).locks).toEqual([])
    })
  })

  it.skipIf(skip)('--wait-lock says once that it waits, naming the holder; not with --quiet, for cron', async () => {
    await withEnvironment(kind, async (env) => {
      const {gym, database} = env
      const db = database.knex()
      const first = env.start(gym, FIRST_RUN_FLAGS)
      await env.firstHeld(first)
      const {locks} = JSON.parse((await runCommand(['status', '--json', '--database', database.url])).stdout)
      const waitLine = `waiting up to 60 s for the lock on gym ${gym.gymId}, held by pid ${first.pid} on ${HOST}, import all, since ${locks[0].acquiredAt}`

      // Not on a terminal: one timestamped line, as the phases are.
      const plain = env.start(gym, ['--wait-lock', '60'])
      const quiet = env.start(gym, ['--wait-lock', '60', '--quiet'])
      await waitFor('the plain run to say it waits', () => (plain.stderr().includes(waitLine) ? true : undefined), plain)
      await waitFor('both to wait', async () => ((await runs(db)).length === 3 ? true : undefined), quiet)
      await sleep(1500) // three polls of the lock: a line the quiet run were to print would be there
      expect(quiet.stderr()).toBe('')

      env.releaseFirst()
      expect((await first.result).code).toBe(0)
      const [plainResult, quietResult] = await Promise.all([plain.result, quiet.result])
      expect(plainResult.code).toBe(0)
      const plainLines = plainResult.stderr.split('\n')
      expect(plainLines[0]).toMatch(new RegExp(`^\\S+Z ${escapeRegExp(waitLine)}$`))
      expect(plainLines.filter((line) => line.includes('waiting up to'))).toHaveLength(1)
      expect(quietResult).toMatchObject({code: 0, stdout: '', stderr: ''})
    })
  })

  it.skipIf(skip)('SIGINT stops a run waiting for the lock (exit 130); the holder carries on', async () => {
    await withEnvironment(kind, async (env) => {
      const {gym, database} = env
      const db = database.knex()
      const first = env.start(gym, FIRST_RUN_FLAGS)
      await env.firstHeld(first)
      const [firstRun] = await runs(db)

      const waiting = env.start(gym, ['--wait-lock', '600', '--json'])
      await waitFor(
        'the waiting run to say it waits',
        () => (waiting.stderr().includes('waiting up to 600 s for the lock') ? true : undefined),
        waiting,
      )
      waiting.kill('SIGINT')
      const stopped = await waiting.result
      expect(stopped.code).toBe(130)
      expectJsonError(stopped)
      const lines = stopped.stderr.trim().split('\n')
      expect(lines).toHaveLength(3)
      expect(lines[1]).toMatch(/ warning: SIGINT: stopping once the current batch is written or rolled back \(again to quit now\)$/)
      expect(lines[2]).toBe('Error: interrupted by SIGINT: whole batches already written are kept; run the import again to finish')
      expect((await runs(db))[0]).toMatchObject({status: 'interrupted'})

      // The holder is untouched and finishes.
      expect(first.exited()).toBe(false)
      const {locks} = JSON.parse((await runCommand(['status', '--json', '--database', database.url])).stdout)
      expect(locks).toEqual([expect.objectContaining({runId: firstRun.id})])
      env.releaseFirst()
      expect((await first.result).code).toBe(0)
      expect(await readGymData(db)).toEqual(expectedGymData(gym))
    })
  })

  it.skipIf(skip)('an import of another gym into the same database is not held up', async ({withStoktServer}) => {
    await withEnvironment(kind, async (env) => {
      const {gym, database} = env
      const db = database.knex()
      // Another gym, with hold ids of its own (the generator starts every gym's at 800000).
      const otherGym = withHoldIdsShifted(generateGym({...GYM_SPEC, seed: 44}), 100_000)
      const otherServer = await withStoktServer({gym: otherGym, pageSize: PAGE_SIZE})
      const first = env.start(gym, FIRST_RUN_FLAGS)
      await env.firstHeld(first)

      const other = await runCommand(importArgs(otherServer, otherGym, database, ['--json']), {STOKT_TOKEN: DEFAULT_TOKEN})
      expect(other.stderr).toBe('')
      expect(other.code).toBe(0)
      expect(first.exited()).toBe(false) // still holding its own gym all along
      const {locks} = JSON.parse((await runCommand(['status', '--json', '--database', database.url])).stdout)
      expect(locks.map((lock: {gymStoktId: string}) => lock.gymStoktId)).toEqual([gym.gymId])

      env.releaseFirst()
      expect((await first.result).code).toBe(0)
      expect(await readGymData(db)).toEqual(merged(expectedGymData(gym), expectedGymData(otherGym)))
    })
  })
})

describe.each(DATABASE_KINDS)('imports of two gyms started at the same moment into one %s database', (kind) => {
  it.skipIf(unavailable(kind))(
    'both finish, into a new database and again once Stokt has changed, the setters they share written once',
    async () => {
      // Cron, one import per gym at the same minute; the gyms share their setters. Each run migrates
      // the new database, then writes batch after batch while the other does. Before, one of them
      // failed: migrating (knex's own tables created twice at once) or, on SQLite, writing a batch
      // it had read before the other run's commit (SQLITE_BUSY_SNAPSHOT), as the second round's
      // lookups and updates do.
      const first = generateGym({...GYM_SPEC, climbs: 1000})
      const second = withSettersOf(withHoldIdsShifted(generateGym({...GYM_SPEC, seed: 45, climbs: 1000}), 100_000), first)
      const database = await createTestDatabase(kind)
      // Neither run gets its climbs page 2 before both have asked for it: their climbs are written
      // at the same time, whichever started faster.
      let arrived = 0
      let bothArrived!: () => void
      let meeting = new Promise<void>((resolve) => (bothArrived = resolve))
      const servers = await Promise.all(
        [first, second].map((gym) =>
          startStoktServer({
            gym,
            pageSize: PAGE_SIZE,
            intercept: async (req: RecordedRequest) => {
              if (req.path.endsWith('/climbs') && req.query.get('page') === '2') {
                if (++arrived % 2 === 0) bothArrived()
                await meeting
              }
              return false
            },
          }),
        ),
      )
      const importBoth = async (gyms: GeneratedGym[]) => {
        meeting = new Promise<void>((resolve) => (bothArrived = resolve))
        gyms.forEach((gym, index) => servers[index].setGym(gym))
        const results = await Promise.all(
          gyms.map((gym, index) =>
            runCli(importArgs(servers[index], gym, database, ['--batch-size', '10', '--json']), {STOKT_TOKEN: DEFAULT_TOKEN}),
          ),
        )
        const outcomes = results.map(({code, stderr, stdout}) => ({
          code,
          stderr,
          rejected: stdout ? JSON.parse(stdout).rejected : undefined,
        }))
        expect(outcomes).toEqual(gyms.map(() => ({code: 0, stderr: '', rejected: []})))
        expect(await readGymData(database.knex())).toEqual(merged(expectedGymData(gyms[0]), expectedGymData(gyms[1])))
      }
      try {
        await importBoth([first, second])
        await importBoth([first, second].map(withEveryClimbLikedOnceMore))
      } finally {
        await Promise.all(servers.map((server) => server.close()))
        await database.drop()
      }
    },
  )
})

// ---------------------------------------------------------------------------------------------

interface TestEnvironment {
  gym: GeneratedGym
  server: StoktServer
  database: TestDatabase
  /** Starts the real CLI's `import all` in a child process. */
  start(gym: GeneratedGym, flags: string[]): ChildHandle
  /** Resolves once the first run is held: its climbs page 3 asked for and not answered. */
  firstHeld(child: ChildHandle): Promise<void>
  /** Answers the first run's page 3: it carries on. */
  releaseFirst(): void
}

/** A gym served by a Stokt server that holds back the first request for climbs page 3. */
async function withEnvironment(kind: DatabaseKind, test: (env: TestEnvironment) => Promise<void>): Promise<void> {
  const gym = generateGym(GYM_SPEC)
  const database = await createTestDatabase(kind)
  const children: ChildHandle[] = []
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let held = false
  const server = await startStoktServer({
    gym,
    pageSize: PAGE_SIZE,
    intercept: async (req: RecordedRequest) => {
      if (!held && req.path === `/api/gyms/${gym.gymId}/climbs` && req.query.get('page') === '3') {
        held = true
        await released
      }
      await sleep(LATENCY_MS)
      return false
    },
  })
  const env: TestEnvironment = {
    gym,
    server,
    database,
    start(target, flags) {
      const child = startCli(importArgs(server, target, database, flags), {STOKT_TOKEN: DEFAULT_TOKEN})
      children.push(child)
      return child
    },
    firstHeld: async (child) => {
      await waitFor('the first run to be held at climbs page 3', () => (held ? true : undefined), child)
    },
    releaseFirst: release,
  }
  try {
    await test(env)
  } finally {
    release()
    for (const child of children) child.kill('SIGKILL')
    await Promise.all(children.map((child) => child.result))
    await server.close()
    await database.drop()
  }
}

interface RunRow {
  id: string
  status: string
  started_at: string
  finished_at: string | null
  error: string | null
}

async function runs(db: Knex): Promise<RunRow[]> {
  const rows: Row[] = await db('import_runs').orderBy('started_at', 'desc').select('id', 'status', 'started_at', 'finished_at', 'error')
  // Instants as text, whichever way the database returns them, so that they compare.
  return rows.map(
    (row) =>
      ({...row, started_at: String(row.started_at), finished_at: row.finished_at === null ? null : String(row.finished_at)}) as RunRow,
  )
}

/** The same gym with every hold id moved by `offset`, in the setups and in the climbs' holds lists. */
function withHoldIdsShifted(gym: GeneratedGym, offset: number): GeneratedGym {
  const shift = (list: unknown) =>
    typeof list === 'string' ? list.replace(/([SFOT])(\d+)/g, (_, role: string, id: string) => `${role}${Number(id) + offset}`) : list
  const setups = new Map(
    [...gym.setups].map(([faceId, setup]) => [
      faceId,
      {...setup, holds: (setup.holds as Row[]).map((hold) => ({...hold, id: (hold.id as number) + offset}))},
    ]),
  )
  const climbs = gym.climbs.map((climb) => ({...climb, holdsList: shift(climb.holdsList), mirrorHoldsList: shift(climb.mirrorHoldsList)}))
  return {...gym, setups, climbs}
}

/** The gym with its climbs set by `source`'s setters, in turn: users the two gyms share. */
function withSettersOf(gym: GeneratedGym, source: GeneratedGym): GeneratedGym {
  const setters = [
    ...new Map(
      source.climbs.flatMap((climb) => (climb.climbSetters ? [[(climb.climbSetters as Row).id, climb.climbSetters]] : [])),
    ).values(),
  ]
  return {
    ...gym,
    climbs: gym.climbs.map((climb, index) => (climb.climbSetters ? {...climb, climbSetters: setters[index % setters.length]} : climb)),
  }
}

/** The gym a little later: every climb has one more like. */
function withEveryClimbLikedOnceMore(gym: GeneratedGym): GeneratedGym {
  return {...gym, climbs: gym.climbs.map((climb) => ({...climb, totalLikes: (climb.totalLikes as number) + 1}))}
}

/** Two gyms' data in one database, ordered as readGymData orders it. */
function merged(a: GymData, b: GymData): GymData {
  const byText = (x: Row, y: Row) => (String(x.stokt_id) < String(y.stokt_id) ? -1 : String(x.stokt_id) > String(y.stokt_id) ? 1 : 0)
  const users = new Map([...a.users, ...b.users].map((user) => [user.stokt_id, user]))
  return {
    gyms: [...a.gyms, ...b.gyms].sort(byText),
    faces: [...a.faces, ...b.faces].sort(byText),
    holds: [...a.holds, ...b.holds].sort((x, y) => Number(x.stokt_id) - Number(y.stokt_id)),
    users: [...users.values()].sort(byText),
    climbs: [...a.climbs, ...b.climbs].sort(byText),
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
