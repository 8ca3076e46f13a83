import {spawn} from 'node:child_process'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Knex} from 'knex'
import {describe, expect, it} from 'vitest'

import {BIN, type ChildHandle, expectJsonError, importArgs, startCli, waitFor} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {createTestDatabase, DATABASE_KINDS, unavailable, type DatabaseKind, type TestDatabase} from '../support/databases.js'
import {expectedGymData, readGymData, type GymData} from '../support/gymData.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {DEFAULT_TOKEN, isClimbsPage, startStoktServer, type RecordedRequest, type StoktServer} from '../support/stoktServer.js'

/**
 * The importer's process dying or being told to stop, provoked for real against the real CLI (a
 * child process) and a Stokt test server that answers slowly enough to stop it anywhere:
 * - SIGKILL at any moment leaves only whole batches; the killed run stays 'running' until the next
 *   run of its gym marks it 'abandoned'; the lock it held does not block that run; and the re-run
 *   converges on the full data.
 * - SIGINT / SIGTERM stop the run between batches (exit 130 / 143), recording it as 'interrupted';
 *   a second SIGINT quits at once.
 *
 * The runs use `--concurrency 1`: the client reads one page ahead, and the importer reads a batch
 * while the one before it is written, so climbs page N is asked for once the batch of page N - 3 is
 * committed, with page N - 2's in flight. A kill sent as page N's request arrives leaves the batches
 * of pages up to N - 3, N - 2 or N - 1: any of them is fine, half a batch is not.
 */

const GYM_SPEC = {seed: 41, faces: 2, holdsPerFace: 100, climbs: 150, setters: 12}
const PAGE_SIZE = 10
const BATCH_SIZE = 10
/** Per Stokt request: slow enough that a run can be stopped anywhere, fast enough for the suite. */
const LATENCY_MS = 20
describe.each(DATABASE_KINDS)('the import process killed or stopped, on %s', (kind) => {
  const skip = unavailable(kind)

  /**
   * Where a SIGKILL lands. `request`: as that Stokt request arrives (before it is answered).
   * `rows`: as soon as the database shows committed rows matching. `check`: what the kill may have
   * left besides whole batches: only the batches that may have committed by then.
   */
  interface KillPoint {
    name: string
    /** A fresh predicate per run (it may count requests). */
    request?: (gym: GeneratedGym) => (req: RecordedRequest) => boolean
    rows?: (counts: {faces: number; holds: number; climbs: number}) => boolean
    /** Requests left unanswered until the child is dead, so that it cannot get past them. */
    holdBack?: (gym: GeneratedGym) => (req: RecordedRequest) => boolean
    check(left: WholeBatches): void
  }

  const KILL_POINTS: KillPoint[] = [
    {
      name: 'before anything is written (as the walls are asked for)',
      request: (gym) => (req) => req.path === `/api/gyms/${gym.gymId}/walls`,
      check: (left) => expect(left).toEqual({gym: false, faces: 0, holds: 0, climbs: 0}),
    },
    {
      // The second face's setup is not answered: the run cannot get past the first face's holds.
      name: "while the first face's holds are written (as soon as the face is there)",
      holdBack: () => {
        let setups = 0
        return (req) => req.path.endsWith('/setup') && ++setups === 2
      },
      rows: ({faces}) => faces > 0,
      check: (left) => {
        expect(left).toMatchObject({gym: true, faces: 1, climbs: 0})
        expect(left.holds).toBeLessThanOrEqual(GYM_SPEC.holdsPerFace)
      },
    },
    {
      name: 'early in the climbs (as page 3 is asked for)',
      request: (gym) => (req) => isClimbsPage(req, gym, 3),
      check: (left) => expect([0, 10, 20]).toContain(left.climbs),
    },
    {
      name: 'in the middle of the climbs (as page 9 is asked for)',
      request: (gym) => (req) => isClimbsPage(req, gym, 9),
      check: (left) => expect([60, 70, 80]).toContain(left.climbs),
    },
    {
      name: 'late in the climbs (as the last page, 15, is asked for)',
      request: (gym) => (req) => isClimbsPage(req, gym, 15),
      check: (left) => expect([120, 130, 140]).toContain(left.climbs),
    },
  ]

  describe.concurrent('SIGKILL', () => {
    for (const point of KILL_POINTS) {
      it.skipIf(skip)(`${point.name}: leaves only whole batches, and a re-run converges`, async () => {
        await withEnvironment(kind, async (env) => {
          const {gym, server, database} = env
          const db = database.knex()

          // The import, killed where the point says.
          const child = env.start(['--batch-size', String(BATCH_SIZE), '--concurrency', '1', '--json'])
          const killNow = point.request?.(gym)
          const holdBack = point.holdBack?.(gym)
          env.onRequest = (req) => {
            if (killNow?.(req)) child.kill('SIGKILL')
          }
          env.onRequestAsync = async (req) => {
            if (holdBack?.(req)) await child.result
          }
          if (point.rows) void killWhenRows(db, child, point.rows)
          const killed = await child.result
          expect(killed.signal, `the import ended by itself:\n${killed.stderr}`).toBe('SIGKILL')
          env.onRequest = undefined
          env.onRequestAsync = undefined

          // Whole batches only, each row complete; the run could not record its end.
          const left = await expectWholeBatches(db, gym)
          point.check(left)
          const [killedRun] = await runs(db)
          expect(killedRun).toMatchObject({command: 'import all', status: 'running', finished_at: null, error: null, summary: null})

          // The dead run's lock: PostgreSQL frees it with the session; SQLite sees that the process
          // that held it, on this host, is gone. Neither lists it, nor blocks the next run.
          if (kind === 'postgres') await waitForNoAdvisoryLock(db)
          const status = await runCommand(['status', '--json', '--database', database.url])
          expect(status.code).toBe(0)
          const {locks, runs: statusRuns} = JSON.parse(status.stdout)
          expect(statusRuns[0]).toMatchObject({id: killedRun.id, status: 'running'})
          expect(locks).toEqual([])

          // The re-run, not killed: it creates what is missing, and the data is the whole gym.
          const rerun = await runCommand(importArgs(server, gym, database, ['--json']), {STOKT_TOKEN: DEFAULT_TOKEN})
          expect(rerun.stderr).toBe('')
          expect(rerun.code).toBe(0)
          const summary = JSON.parse(rerun.stdout)
          const full = expectedGymData(gym)
          expect(summary.faces).toEqual(counts(full.faces.length, left.faces))
          expect(summary.holds).toEqual(counts(full.holds.length, left.holds))
          expect(summary.climbs).toEqual(counts(full.climbs.length, left.climbs))
          expect(summary.rejected).toEqual([])
          expect(await readGymData(db)).toEqual(full)

          const after = await runs(db)
          expect(after[0]).toMatchObject({status: 'succeeded', error: null})
          // The re-run, holding the gym's lock, found the dead run still marked running.
          expect(after.map((run) => run.status)).toEqual(['succeeded', 'abandoned'])
          expect(after[1]).toMatchObject({id: killedRun.id, finished_at: null})
          expect(after[1].error).toContain(
            'the run ended without recording how (its process was killed or lost, or the database was out of reach as it ended)',
          )
        })
      })
    }

    it.skipIf(skip)('two SIGINTs in quick succession: exit 130, only whole batches, and a re-run converges', async () => {
      await withEnvironment(kind, async (env) => {
        const {gym, server, database} = env
        const db = database.knex()
        const child = env.start(['--batch-size', String(BATCH_SIZE), '--concurrency', '1', '--json'])
        // Page 3 is held until the run has ended: on a busy machine the signals may arrive late, and
        // the climbs of page 3 must never be the run's to write.
        env.onRequestAsync = async (req) => {
          if (!isClimbsPage(req, gym, 3)) return
          child.kill('SIGINT')
          child.kill('SIGINT')
          await child.result
        }
        const stopped = await child.result
        expect(stopped.code).toBe(130)
        // The second signal quits at once if the first had not stopped the run yet: no JSON error then.
        if (stopped.stdout !== '') expectJsonError(stopped)
        expect(stopped.stderr).toContain('warning: SIGINT: stopping once the current batch is written or rolled back (again to quit now)')

        // Whether the second signal came before the first had stopped the run (then it quit at
        // once, recording nothing, rolling back the batch in flight, and leaving its lock row
        // behind, which the next run sees is dead) or after.
        const left = await expectWholeBatches(db, gym)
        expect([0, 10, 20]).toContain(left.climbs)
        const [run] = await runs(db)
        expect(['interrupted', 'running']).toContain(run.status)

        if (kind === 'postgres') await waitForNoAdvisoryLock(db)
        const rerun = await runCommand(importArgs(server, gym, database, ['--json']), {STOKT_TOKEN: DEFAULT_TOKEN})
        expect(rerun.stderr).toBe('')
        expect(rerun.code).toBe(0)
        expect(await readGymData(db)).toEqual(expectedGymData(gym))
      })
    })
  })

  describe.each([
    {signal: 'SIGINT' as const, code: 130},
    {signal: 'SIGTERM' as const, code: 143},
    // A terminal or SSH session closing.
    {signal: 'SIGHUP' as const, code: 129},
  ])('$signal', ({signal, code}) => {
    it.skipIf(skip)(`stops between batches (exit ${code}), records the run as interrupted, and a re-run converges`, async () => {
      await withEnvironment(kind, async (env) => {
        const {gym, server, database} = env
        const db = database.knex()

        const child = env.start(['--batch-size', String(BATCH_SIZE), '--concurrency', '1', '--json'])
        // Page 3 is answered once the run has said it stops: on a busy machine the signal may be
        // handled late, and the climbs of page 3 must never be the run's to write.
        env.onRequestAsync = async (req) => {
          if (!isClimbsPage(req, gym, 3)) return
          child.kill(signal)
          await waitFor('the run to say it stops', () => child.stderr().includes(`warning: ${signal}: stopping`) || undefined, child).catch(
            () => {},
          )
        }
        const stopped = await child.result
        env.onRequestAsync = undefined

        expect(stopped.signal).toBeNull()
        expect(stopped.code).toBe(code)
        expectJsonError(stopped)
        const lines = stopped.stderr.trim().split('\n')
        expect(lines, stopped.stderr).toHaveLength(2)
        expect(lines[0]).toMatch(
          new RegExp(`^\\S+ warning: ${signal}: stopping once the current batch is written or rolled back \\(again to quit now\\)$`),
        )
        expect(lines[1]).toBe(`Error: interrupted by ${signal}: whole batches already written are kept; run the import again to finish`)

        // Page 1's batch was in flight or committed when page 3 was asked for, and a stop lets it
        // commit; page 2's may have started too.
        const left = await expectWholeBatches(db, gym)
        expect([10, 20]).toContain(left.climbs)
        const [run] = await runs(db)
        expect(run.status).toBe('interrupted')
        expect(run.error).toBe(`interrupted by ${signal}: whole batches already written are kept; run the import again to finish`)
        expect(run.finished_at).not.toBeNull()
        // The summary it recorded counts exactly what was committed.
        expect(JSON.parse(run.summary!).climbs).toEqual({created: left.climbs, updated: 0, unchanged: 0, errors: 0, total: left.climbs})

        // It gave its lock back: the re-run needs no wait, on either database.
        const status = JSON.parse((await runCommand(['status', '--json', '--database', database.url])).stdout)
        expect(status.locks).toEqual([])
        const rerun = await runCommand(importArgs(server, gym, database, ['--json']), {STOKT_TOKEN: DEFAULT_TOKEN})
        expect(rerun.stderr).toBe('')
        expect(rerun.code).toBe(0)
        expect(JSON.parse(rerun.stdout).climbs).toEqual(counts(GYM_SPEC.climbs, left.climbs))
        expect(await readGymData(db)).toEqual(expectedGymData(gym))
        expect((await runs(db)).map((row) => row.status)).toEqual(['succeeded', 'interrupted'])
      })
    })
  })

  it.skipIf(skip)('its output piped into a reader that quits (| head -1): the import goes on to the end (exit 0)', async () => {
    await withEnvironment(kind, async (env) => {
      const {gym, server, database} = env
      const command = [process.execPath, BIN, ...importArgs(server, gym, database, ['--batch-size', String(BATCH_SIZE)])]
      const shell = spawn('bash', ['-c', `"$@" 2>&1 | head -1; echo "exit \${PIPESTATUS[0]}" >&2`, 'mastoc', ...command], {
        env: {PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', STOKT_TOKEN: DEFAULT_TOKEN},
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stdout = ''
      let stderr = ''
      shell.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
      shell.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
      await new Promise((resolve) => shell.on('close', resolve))

      expect(stdout.split('\n').filter(Boolean)).toHaveLength(1)
      expect(stderr).toBe('exit 0\n')
      expect(await readGymData(database.knex())).toEqual(expectedGymData(gym))
      expect((await runs(database.knex())).map((row) => row.status)).toEqual(['succeeded'])
    })
  })

  // A batch waiting on a lock another session holds (PostgreSQL): the stop cancels the wait, rather
  // than waiting for that session to let go.
  describe.each([
    {signal: 'SIGINT' as const, code: 130},
    {signal: 'SIGTERM' as const, code: 143},
  ])('$signal while a batch waits on a table lock', ({signal, code}) => {
    it.skipIf(skip || kind !== 'postgres')(
      `stops within seconds (exit ${code}), recorded interrupted, its lock given back, only whole batches`,
      async () => {
        await withEnvironment(kind, async (env) => {
          const {gym, server, database} = env
          const db = database.knex()

          // Page 2 is held back until batch 1 is committed and the climbs table is locked.
          let answerPage2!: () => void
          const page2Held = new Promise<void>((resolve) => (answerPage2 = resolve))
          env.onRequestAsync = async (req) => {
            if (isClimbsPage(req, gym, 2)) await page2Held
          }
          const child = env.start(['--batch-size', String(BATCH_SIZE), '--concurrency', '1', '--json'])
          await waitFor('batch 1 committed', async () => (await count(db, 'climbs')) === BATCH_SIZE || undefined, child)

          const blocker = await db.transaction()
          try {
            await blocker.raw('lock table climbs in access exclusive mode')
            answerPage2()
            // The import's batch 2 waits on the lock, and says so.
            const waitLine =
              /waiting for a lock on table climbs \(RowExclusiveLock\) in the database .*, held by pid \d+ \(idle in transaction\); giving up after 60 s/
            await waitFor('the run to say it waits for the lock', () => waitLine.test(child.stderr()) || undefined, child)

            const stoppedAt = Date.now()
            child.kill(signal)
            const stopped = await child.result
            expect(Date.now() - stoppedAt).toBeLessThan(20_000) // not the holder's time, nor lock_timeout's minute
            expect(stopped.code).toBe(code)
            expectJsonError(stopped)
            const lines = stopped.stderr.trim().split('\n')
            expect(lines, stopped.stderr).toHaveLength(3)
            expect(lines[0]).toMatch(waitLine)
            expect(lines[1]).toMatch(
              new RegExp(`^\\S+ warning: ${signal}: stopping once the current batch is written or rolled back \\(again to quit now\\)$`),
            )
            expect(lines[2]).toBe(`Error: interrupted by ${signal}: whole batches already written are kept; run the import again to finish`)
          } finally {
            await blocker.rollback().catch(() => {})
          }

          // The waiting batch was rolled back: batch 1 alone, and its setters.
          expect(await expectWholeBatches(db, gym)).toEqual({gym: true, faces: 2, holds: 200, climbs: BATCH_SIZE})
          const [run] = await runs(db)
          expect(run).toMatchObject({status: 'interrupted'})
          const status = JSON.parse((await runCommand(['status', '--json', '--database', database.url])).stdout)
          expect(status.locks).toEqual([])

          const rerun = await runCommand(importArgs(server, gym, database, ['--json']), {STOKT_TOKEN: DEFAULT_TOKEN})
          expect(rerun.stderr).toBe('')
          expect(rerun.code).toBe(0)
          expect(await readGymData(db)).toEqual(expectedGymData(gym))
        })
      },
    )
  })
})

// ---------------------------------------------------------------------------------------------

interface TestEnvironment {
  gym: GeneratedGym
  server: StoktServer
  database: TestDatabase
  /** Sees each Stokt request as it arrives, before it is answered. */
  onRequest?: (req: RecordedRequest) => void
  /** May hold a request back before it is answered. */
  onRequestAsync?: (req: RecordedRequest) => Promise<void>
  /** Starts the real CLI's `import all` in a child process, against this server and database. */
  start(flags: string[]): ChildHandle
  dispose(): Promise<void>
}

/** A fresh gym, Stokt server and database for `test`; children killed, all closed and dropped after. */
async function withEnvironment(kind: DatabaseKind, test: (env: TestEnvironment) => Promise<void>): Promise<void> {
  const env = await testEnvironment(kind)
  try {
    await test(env)
  } finally {
    await env.dispose()
  }
}

async function testEnvironment(kind: DatabaseKind): Promise<TestEnvironment> {
  const gym = generateGym(GYM_SPEC)
  const database = await createTestDatabase(kind)
  const children: ChildHandle[] = []
  const env: TestEnvironment = {
    gym,
    database,
    server: undefined as unknown as StoktServer,
    start(flags) {
      const child = startCli(importArgs(env.server, gym, database, flags), {STOKT_TOKEN: DEFAULT_TOKEN})
      children.push(child)
      return child
    },
    async dispose() {
      for (const child of children) child.kill('SIGKILL')
      await Promise.all(children.map((child) => child.result))
      await env.server.close()
      await database.drop()
    },
  }
  // The latency is played here rather than by the server, so that a request is seen on arrival.
  env.server = await startStoktServer({
    gym,
    pageSize: PAGE_SIZE,
    intercept: async (req) => {
      env.onRequest?.(req)
      await env.onRequestAsync?.(req)
      await sleep(LATENCY_MS)
      return false
    },
  })
  return env
}

async function killWhenRows(
  db: Knex,
  child: ChildHandle,
  condition: (counts: {faces: number; holds: number; climbs: number}) => boolean,
): Promise<void> {
  while (!child.exited()) {
    try {
      if (condition({faces: await count(db, 'faces'), holds: await count(db, 'holds'), climbs: await count(db, 'climbs')})) {
        child.kill('SIGKILL')
        return
      }
    } catch {
      // The schema is not there yet.
    }
    await sleep(1)
  }
}

async function count(db: Knex, table: string): Promise<number> {
  const [row] = await db(table).count({n: '*'})
  return Number(row.n)
}

interface RunRow {
  id: string
  command: string
  status: string
  finished_at: string | null
  error: string | null
  summary: string | null
}

async function runs(db: Knex): Promise<RunRow[]> {
  return db('import_runs').orderBy('started_at', 'desc').select('id', 'command', 'status', 'finished_at', 'error', 'summary')
}

/** PostgreSQL frees a session's advisory locks when the session ends, shortly after its process died. */
async function waitForNoAdvisoryLock(db: Knex): Promise<void> {
  await waitFor('the dead session to end', async () => {
    const {rows} = await db.raw(
      `select count(*) as n from pg_locks where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`,
    )
    return Number(rows[0].n) === 0 || undefined
  })
}

interface WholeBatches {
  gym: boolean
  faces: number
  holds: number
  climbs: number
}

/** One transaction of an uninterrupted run: the rows it writes, by table (Stokt ids). */
interface WriteUnit {
  gyms?: string[]
  faces?: string[]
  holds?: number[]
  users?: string[]
  climbs?: string[]
}

/**
 * The transactions of an uninterrupted run, in order: the gym; then face by face (in the walls'
 * order), the face and its holds in batches of BATCH_SIZE (in the setup's order); then the climbs
 * in batches of BATCH_SIZE in Stokt's order, each with the setters first seen in it.
 */
function writeUnits(gym: GeneratedGym): WriteUnit[] {
  const units: WriteUnit[] = [{gyms: [gym.gymId]}]
  const faceIds = [...new Set(gym.walls.flatMap((wall) => (wall.faces as {id: string}[]).map((face) => face.id)))]
  for (const faceId of faceIds) {
    units.push({faces: [faceId]})
    const holds = (gym.setups.get(faceId)!.holds as {id: number}[]).map((hold) => hold.id)
    for (let start = 0; start < holds.length; start += BATCH_SIZE) units.push({holds: holds.slice(start, start + BATCH_SIZE)})
  }
  const seenSetters = new Set<string>()
  const climbs = gym.climbs as Array<{id: string; climbSetters?: {id: string} | null}>
  for (let start = 0; start < climbs.length; start += BATCH_SIZE) {
    const batch = climbs.slice(start, start + BATCH_SIZE)
    const users = batch.flatMap((climb) => (climb.climbSetters && !seenSetters.has(climb.climbSetters.id) ? [climb.climbSetters.id] : []))
    users.forEach((id) => seenSetters.add(id))
    units.push({users: [...new Set(users)], climbs: batch.map((climb) => climb.id)})
  }
  return units
}

/**
 * What a stopped run left, checked against the generated gym: exactly the first K transactions of
 * an uninterrupted run, for some K — each one all there or not at all, none after a missing one
 * (so no half batch, and every climb with its setter) — and every row present equal, field for
 * field, to what Stokt served.
 */
async function expectWholeBatches(db: Knex, gym: GeneratedGym): Promise<WholeBatches> {
  const actual = await readGymData(db)
  const present = {
    gyms: new Set(actual.gyms.map((row) => String(row.stokt_id))),
    faces: new Set(actual.faces.map((row) => String(row.stokt_id))),
    holds: new Set(actual.holds.map((row) => String(row.stokt_id))),
    users: new Set(actual.users.map((row) => String(row.stokt_id))),
    climbs: new Set(actual.climbs.map((row) => String(row.stokt_id))),
  }
  const units = writeUnits(gym)
  // One letter per transaction: A all its rows there, N none, P part of them (never allowed).
  const states = units
    .map((unit) => {
      const ids = (Object.keys(unit) as (keyof WriteUnit)[]).flatMap((table) => unit[table]!.map((id) => present[table].has(String(id))))
      return ids.every(Boolean) ? 'A' : ids.some(Boolean) ? 'P' : 'N'
    })
    .join('')
  expect(states).toMatch(/^A*N*$/)
  const written = units.slice(0, states.indexOf('N') === -1 ? units.length : states.indexOf('N'))
  const writtenIds = (table: keyof WriteUnit) => new Set(written.flatMap((unit) => (unit[table] ?? []).map(String)))
  // Nothing else, and each row as Stokt served it.
  const full = expectedGymData(gym)
  const expected: GymData = {
    gyms: full.gyms.filter((row) => writtenIds('gyms').has(String(row.stokt_id))),
    faces: full.faces.filter((row) => writtenIds('faces').has(String(row.stokt_id))),
    holds: full.holds.filter((row) => writtenIds('holds').has(String(row.stokt_id))),
    users: full.users.filter((row) => writtenIds('users').has(String(row.stokt_id))),
    climbs: full.climbs.filter((row) => writtenIds('climbs').has(String(row.stokt_id))),
  }
  expect(actual).toEqual(expected)
  return {gym: actual.gyms.length === 1, faces: actual.faces.length, holds: actual.holds.length, climbs: actual.climbs.length}
}

/** The re-run's counts for an entity of `total` records of which `kept` were already there. */
function counts(total: number, kept: number) {
  return {created: total - kept, updated: 0, unchanged: kept, errors: 0, total}
}
