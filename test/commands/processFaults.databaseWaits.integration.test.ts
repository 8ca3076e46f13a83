import {spawn, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {expectJsonError, importArgs, runCli, startCli, waitFor, type ChildHandle} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {createTestDatabase, unavailable, type TestDatabase} from '../support/databases.js'
import {expectedGymData, readGymData} from '../support/gymData.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {latestRun} from '../support/runs.js'
import {DEFAULT_TOKEN, isClimbsPage, startStoktServer, type RecordedRequest, type StoktServer} from '../support/stoktServer.js'

/**
 * Another process or session holding a lock the import needs, mid-run, through the real CLI: the
 * run waits a bounded time, saying so, then exits 1 naming what it waited for; it never hangs for
 * as long as the other holds on, and a signal stops it while it waits.
 * The import is held at climbs page 3 (the Stokt test server does not answer it) until the test
 * has taken the lock; its next batch then meets the lock.
 */

const GYM_SPEC = {seed: 59, faces: 2, holdsPerFace: 30, climbs: 150, setters: 6}
const PAGE_SIZE = 10
/** Stokt never times out here: what a run waits for is the database. */
const RUN_FLAGS = ['--batch-size', '10', '--concurrency', '1', '--timeout', '600', '--retries', '0', '--json']
const SQLITE_LOCK_HOLDER = fileURLToPath(new URL('../support/sqliteWriteLockHolder.ts', import.meta.url))

describe('SQLite: another process holding the write lock mid-run', () => {
  it.skipIf(unavailable('sqlite'))(
    'the batch waits 5 s, then exit 1 naming the busy database, recorded failed; no false Stokt retries; the re-run converges',
    async () => {
      await withEnvironment('sqlite', async (env) => {
        const {gym, database} = env
        const child = env.start(RUN_FLAGS)
        await env.heldAtPage3(child)

        const holder = await holdSqliteWriteLock(database.url)
        let holderGone: Promise<void> | undefined
        try {
          // Were the failed batch noticed only once the next one is read, the run would hang here.
          env.holdPage4UntilExit(child)
          const released = Date.now()
          env.releasePage3()
          // The other process lets go once the batch has given up (5 s), while the run records its failure.
          const letGo = setTimeout(() => (holderGone = releaseSqliteWriteLock(holder)), 6_500)
          const result = await child.result
          clearTimeout(letGo)

          expect(Date.now() - released).toBeLessThan(30_000) // it did not wait for the holder
          expect(result.code).toBe(1)
          expectJsonError(result)
          expect(result.stderr).not.toContain('retrying')
          expect(result.stderr).toBe(
            `Error: the database sqlite:${database.url} failed: another process has held its write lock for over 5 s (SQLITE_BUSY): run the import again once that process is done\n`,
          )
          // Its failure waited its own turn: recorded, not left "running".
          expect(await latestRun(database.knex())).toMatchObject({status: 'failed', error: expect.stringContaining('SQLITE_BUSY')})
        } finally {
          await (holderGone ?? releaseSqliteWriteLock(holder))
        }

        const rerun = await runCommand(importArgs(env.server, gym, database, ['--json']), {STOKT_TOKEN: DEFAULT_TOKEN})
        expect(rerun.stderr).toBe('')
        expect(rerun.code).toBe(0)
        expect(await readGymData(database.knex())).toEqual(expectedGymData(gym))
      })
    },
  )
})

describe('PostgreSQL: another session holding rows the import writes, idle in its transaction', () => {
  it.skipIf(unavailable('postgres'))(
    'the run gives up at lock_timeout: exit 1 naming the table and the holder; recorded failed, its lock given back',
    async () => {
      await withEnvironment('postgres', async (env) => {
        const {gym, server, database} = env
        const db = database.knex()
        env.releasePage3()
        expect((await runCommand(importArgs(server, gym, database, ['--json']), {STOKT_TOKEN: DEFAULT_TOKEN})).code).toBe(0)
        // Stokt a day later: every climb has one more like, so the re-run updates every climb.
        const later = {...gym, climbs: gym.climbs.map((climb) => ({...climb, totalLikes: (climb.totalLikes as number) + 1}))}
        server.setGym(later)

        const blocker = await db.transaction()
        try {
          await blocker.raw('select id from climbs for update')
          const {rows} = await blocker.raw('select pg_backend_pid() as pid')
          // A short lock_timeout (the tests' own setting) stands for the minute a real run waits.
          const result = await runCli(importArgs(server, later, database, RUN_FLAGS), {
            STOKT_TOKEN: DEFAULT_TOKEN,
            MASTOC_TEST_LOCK_TIMEOUT_MS: '3000',
          })

          expect(result.code).toBe(1)
          expectJsonError(result)
          const error = result.stderr.trim().split('\n').at(-1)
          expect(error).toBe(
            `Error: the database ${database.url} failed: gave up waiting for a lock on a row of table climbs, held by pid ${rows[0].pid} (idle in transaction), after 3 s (lock_timeout): run the import again once that session has finished or been ended`,
          )
          expect(await latestRun(db)).toEqual({status: 'failed', error: error!.slice('Error: '.length)})
          const status = await runCommand(['status', '--json', '--database', database.url])
          expect(JSON.parse(status.stdout).locks).toEqual([])
        } finally {
          await blocker.rollback().catch(() => {})
        }

        const rerun = await runCommand(importArgs(server, later, database, ['--json']), {STOKT_TOKEN: DEFAULT_TOKEN})
        expect(rerun.stderr).toBe('')
        expect(rerun.code).toBe(0)
        expect(await readGymData(db)).toEqual(expectedGymData(later))
      })
    },
  )
})

// ---------------------------------------------------------------------------------------------

/** A child process holding `file`'s write lock (BEGIN IMMEDIATE), once it says so. */
async function holdSqliteWriteLock(file: string): Promise<ChildProcess> {
  const holder = spawn(process.execPath, ['--import', 'tsx', SQLITE_LOCK_HOLDER, file], {stdio: ['pipe', 'pipe', 'inherit']})
  let output = ''
  holder.stdout!.setEncoding('utf8')
  for await (const chunk of holder.stdout!) {
    output += chunk
    if (output.includes('locked\n')) break
  }
  return holder
}

async function releaseSqliteWriteLock(holder: ChildProcess): Promise<void> {
  const exited = once(holder, 'exit')
  holder.stdin!.end()
  await exited
}

interface TestEnvironment {
  gym: GeneratedGym
  server: StoktServer
  database: TestDatabase
  start(flags: string[]): ChildHandle
  /** Resolves once the run has asked for climbs page 3, which is not answered yet. */
  heldAtPage3(child: ChildHandle): Promise<void>
  releasePage3(): void
  /** Page 4 is not answered before `child` has exited. */
  holdPage4UntilExit(child: ChildHandle): void
}

async function withEnvironment(kind: 'sqlite' | 'postgres', test: (env: TestEnvironment) => Promise<void>): Promise<void> {
  const gym = generateGym(GYM_SPEC)
  const database = await createTestDatabase(kind)
  const children: ChildHandle[] = []
  let releasePage3!: () => void
  const page3Released = new Promise<void>((resolve) => (releasePage3 = resolve))
  let page3Asked = false
  let page4Held: Promise<unknown> = Promise.resolve()
  const server = await startStoktServer({
    gym,
    pageSize: PAGE_SIZE,
    intercept: async (req: RecordedRequest) => {
      if (isClimbsPage(req, gym, 3)) {
        page3Asked = true
        await page3Released
      }
      if (isClimbsPage(req, gym, 4)) await page4Held
      return false
    },
  })
  const env: TestEnvironment = {
    gym,
    server,
    database,
    start(flags) {
      const child = startCli(importArgs(server, gym, database, flags), {STOKT_TOKEN: DEFAULT_TOKEN})
      children.push(child)
      return child
    },
    heldAtPage3: async (child) => {
      await waitFor('the run to ask for climbs page 3', () => (page3Asked ? true : undefined), child)
    },
    releasePage3,
    holdPage4UntilExit(child) {
      page4Held = child.result
    },
  }
  try {
    await test(env)
  } finally {
    releasePage3()
    for (const child of children) child.kill('SIGKILL')
    await Promise.all(children.map((child) => child.result))
    await server.close()
    await database.drop()
  }
}
