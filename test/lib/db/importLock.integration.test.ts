import {spawn, type ChildProcess} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {once} from 'node:events'
import {fileURLToPath} from 'node:url'

import type {Knex} from 'knex'
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest'

import {openDatabase} from '../../../src/lib/db/connection.js'
import {parseDatabaseTarget} from '../../../src/lib/db/target.js'
import {knexReader} from '../../../src/lib/db/sqlReader.js'
import {
  acquireImportLock,
  currentLockHolders,
  LockBusyError,
  type AcquireImportLockOptions,
  type ImportLock,
} from '../../../src/lib/db/importLock.js'
import {nowInstant} from '../../../src/lib/common/instant.js'
import {createTestDatabase, DATABASE_KINDS, unavailable, type TestDatabase} from '../../support/databases.js'

const PROJECT_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const LOCK_HOLDER_SCRIPT = fileURLToPath(new URL('../../support/importLockHolder.ts', import.meta.url))
const CANONICAL_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

describe.each(DATABASE_KINDS)('the import lock on %s', (kind) => {
  const skip = unavailable(kind)
  let database: TestDatabase
  /** Two handles, as two runs would have. */
  let firstRun: Knex
  let secondRun: Knex
  const heldLocks: ImportLock[] = []
  const children: ChildProcess[] = []

  beforeAll(async () => {
    if (skip) return
    database = await createTestDatabase(kind)
    firstRun = database.knex()
    await firstRun.migrate.latest()
    secondRun = openDatabase(parseDatabaseTarget(database.url))
  })

  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL')
    await Promise.all(heldLocks.splice(0).map((lock) => lock.release()))
  })

  afterAll(async () => {
    await secondRun?.destroy()
    await database?.drop()
  })

  const acquire = async (db: Knex, options: Partial<AcquireImportLockOptions> & {gymStoktId: string}) => {
    const lock = await acquireImportLock(db, kind, {runId: randomUUID(), holder: 'a test run', waitSeconds: 0, pollMs: 50, ...options})
    heldLocks.push(lock)
    return lock
  }

  const busyError = async (attempt: Promise<unknown>): Promise<LockBusyError> => {
    const error = await attempt.then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(error).toBeInstanceOf(LockBusyError)
    return error as LockBusyError
  }

  const holdersOf = async (gymStoktId: string, staleAfterMs?: number) =>
    (await currentLockHolders(knexReader(firstRun, kind), {staleAfterMs})).filter((holder) => holder.gymStoktId === gymStoktId)

  /** Another process trying for the lock once: it holds it until killed, or exits 1 finding it busy. */
  const tryInAnotherProcess = (gymStoktId: string, runId: string, heartbeatMs: number) => {
    const child = spawn(process.execPath, ['--import', 'tsx', LOCK_HOLDER_SCRIPT, database.url, gymStoktId, runId, String(heartbeatMs)], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(child)
    let stderr = ''
    child.stderr!.on('data', (chunk) => (stderr += chunk))
    const outcome = new Promise<{locked: true} | {locked: false; stderr: string}>((resolve) => {
      child.stdout!.on('data', (chunk) => String(chunk).includes('locked') && resolve({locked: true}))
      child.once('exit', () => resolve({locked: false, stderr}))
    })
    return {child, outcome}
  }

  const holdInAnotherProcess = async (gymStoktId: string, runId: string, heartbeatMs: number) => {
    const {child, outcome} = tryInAnotherProcess(gymStoktId, runId, heartbeatMs)
    const result = await outcome
    if (!result.locked) throw new Error(`the lock holder exited before holding the lock: ${result.stderr}`)
    return child
  }

  it.skipIf(skip)('a second run fails at once, naming the holder and since when', async () => {
    const gym = randomUUID()
    const runId = randomUUID()
    await acquire(firstRun, {gymStoktId: gym, runId, holder: 'pid 1234 on host ops-1, import all'})

    const started = Date.now()
    const error = await busyError(acquire(secondRun, {gymStoktId: gym}))

    expect(Date.now() - started).toBeLessThan(2000)
    expect(error.holder).toMatchObject({gymStoktId: gym, runId, holder: 'pid 1234 on host ops-1, import all'})
    expect(error.holder.acquiredAt).toMatch(CANONICAL_INSTANT)
    expect(Math.abs(Date.parse(error.holder.acquiredAt) - Date.now())).toBeLessThan(10_000)
    expect(error.message).toBe(
      `another import of gym ${gym} holds the lock: pid 1234 on host ops-1, import all, since ${error.holder.acquiredAt} (waited 0 s)`,
    )
  })

  it.skipIf(skip)('a waiting run gets the lock when the holder releases it in time', async () => {
    const gym = randomUUID()
    const first = await acquire(firstRun, {gymStoktId: gym})
    const releasing = new Promise((resolve) => setTimeout(resolve, 600)).then(() => first.release())

    const started = Date.now()
    const secondRunId = randomUUID()
    await acquire(secondRun, {gymStoktId: gym, runId: secondRunId, waitSeconds: 5})
    await releasing

    expect(Date.now() - started).toBeGreaterThanOrEqual(500)
    expect((await holdersOf(gym)).map((holder) => holder.runId)).toEqual([secondRunId])
  })

  it.skipIf(skip)('a waiting run gives up after --wait-lock seconds', async () => {
    const gym = randomUUID()
    await acquire(firstRun, {gymStoktId: gym, holder: 'the first run'})

    const started = Date.now()
    const error = await busyError(acquire(secondRun, {gymStoktId: gym, waitSeconds: 1}))

    expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
    expect(error.message).toMatch(/holds the lock: the first run, since .* \(waited 1 s\)$/)
  })

  it.skipIf(skip)('the lock is per gym', async () => {
    const [gymA, gymB] = [randomUUID(), randomUUID()]
    await acquire(firstRun, {gymStoktId: gymA})
    await acquire(secondRun, {gymStoktId: gymB})

    expect(await holdersOf(gymA)).toHaveLength(1)
    expect(await holdersOf(gymB)).toHaveLength(1)
  })

  it.skipIf(skip)('current holders list the holder, and nobody once it is released', async () => {
    const gym = randomUUID()
    const runId = randomUUID()
    const lock = await acquire(firstRun, {gymStoktId: gym, runId, holder: 'pid 42 on host ops-2, import climbs'})

    const [holder] = await currentLockHolders(knexReader(secondRun, kind)).then((holders) => holders.filter((h) => h.gymStoktId === gym))
    expect(holder).toMatchObject({gymStoktId: gym, runId, holder: 'pid 42 on host ops-2, import climbs'})
    expect(holder.acquiredAt).toMatch(CANONICAL_INSTANT)
    expect(holder.heartbeatAt).toMatch(CANONICAL_INSTANT)

    await lock.release()
    expect(await holdersOf(gym)).toEqual([])
    expect(await firstRun('import_locks').where('gym_stokt_id', gym)).toEqual([])
  })

  it.skipIf(skip)('release is idempotent and never frees a later holder', async () => {
    const gym = randomUUID()
    const first = await acquire(firstRun, {gymStoktId: gym})
    await first.release()
    await first.release()

    const secondRunId = randomUUID()
    await acquire(secondRun, {gymStoktId: gym, runId: secondRunId})
    await first.release()

    expect((await holdersOf(gym)).map((holder) => holder.runId)).toEqual([secondRunId])
    await busyError(acquire(firstRun, {gymStoktId: gym}))
  })

  it.skipIf(skip)('a lock lost from under its holder says so; one it gave up, or still holds, does not', async () => {
    const gym = randomUUID()
    const kept = await acquire(firstRun, {gymStoktId: randomUUID(), heartbeatMs: 50})
    const given = await acquire(firstRun, {gymStoktId: randomUUID(), heartbeatMs: 50})
    await given.release()
    const lock = await acquire(firstRun, {gymStoktId: gym, heartbeatMs: 50})
    expect(lock.lost()).toBeUndefined()

    let expected: RegExp
    if (kind === 'postgres') {
      // The sessions that hold the advisory locks end (a restart, connections killed by an admin).
      const {rows} = await secondRun.raw(
        `select pg_terminate_backend(pid) as ended from pg_stat_activity
         where application_name = 'mastoc import lock' and datname = current_database()`,
      )
      expect(rows).toEqual([{ended: true}, {ended: true}])
      expected = /^its PostgreSQL session ended$/
    } else {
      // Another run took the lock over: this one's heartbeat had gone stale.
      await secondRun('import_locks').where('gym_stokt_id', gym).update({run_id: randomUUID()})
      expected = /^another run took it over, this run's heartbeat having stopped for 30 s$/
    }
    await vi.waitFor(() => expect(lock.lost()).toMatch(expected), {timeout: 5000, interval: 50})
    expect(given.lost()).toBeUndefined()
    // Its session ended too on PostgreSQL; on SQLite, its row is still its own.
    if (kind === 'postgres') await vi.waitFor(() => expect(kept.lost()).toMatch(expected), {timeout: 5000, interval: 50})
    else expect(kept.lost()).toBeUndefined()
  })

  it.skipIf(skip)("a live holder's heartbeat keeps its lock", async () => {
    const gym = randomUUID()
    await acquire(firstRun, {gymStoktId: gym, heartbeatMs: 100})
    await new Promise((resolve) => setTimeout(resolve, 1500))

    await busyError(acquire(secondRun, {gymStoktId: gym, staleAfterMs: 1000}))
    expect(await holdersOf(gym, 1000)).toHaveLength(1)
  })

  it.skipIf(skip)('a lock row without a live holder is not a holder, and is taken over', async () => {
    const gym = randomUUID()
    // SQLite: a heartbeat a minute old. PostgreSQL: a row whose advisory lock nobody holds.
    const leftBehind = nowInstant(() => new Date(Date.now() - 60_000))
    await firstRun('import_locks').insert({
      gym_stokt_id: gym,
      run_id: randomUUID(),
      holder: 'a run that died',
      acquired_at: leftBehind,
      heartbeat_at: leftBehind,
    })
    expect(await holdersOf(gym)).toEqual([])

    const runId = randomUUID()
    await acquire(secondRun, {gymStoktId: gym, runId})
    expect((await holdersOf(gym)).map((holder) => holder.runId)).toEqual([runId])
  })

  it.skipIf(skip)('a lock held by a process that is killed does not block for ever', async () => {
    const gym = randomUUID()
    const deadRunId = randomUUID()
    const staleAfterMs = 1000
    const child = await holdInAnotherProcess(gym, deadRunId, 100)

    const busy = await busyError(acquire(firstRun, {gymStoktId: gym, staleAfterMs}))
    expect(busy.holder).toMatchObject({runId: deadRunId, holder: `pid ${child.pid}, test holder`})
    // Alive, it keeps the lock past the staleness delay.
    await new Promise((resolve) => setTimeout(resolve, staleAfterMs + 500))
    await busyError(acquire(firstRun, {gymStoktId: gym, staleAfterMs}))

    child.kill('SIGKILL')
    await once(child, 'exit')
    await vi.waitFor(async () => expect(await holdersOf(gym, staleAfterMs)).toEqual([]), {timeout: 10_000, interval: 100})
    // Its row is still there: the holders list is right because it checks that the holder lives.
    expect(await firstRun('import_locks').where('gym_stokt_id', gym).pluck('run_id')).toEqual([deadRunId])

    const runId = randomUUID()
    await acquire(secondRun, {gymStoktId: gym, runId, staleAfterMs, waitSeconds: 5})
    expect((await holdersOf(gym, staleAfterMs)).map((holder) => holder.runId)).toEqual([runId])
  })

  it.skipIf(skip)('of processes racing for a free lock, exactly one gets it', async () => {
    const gym = randomUUID()
    const racers = Array.from({length: 4}, () => tryInAnotherProcess(gym, randomUUID(), 1000))
    const outcomes = await Promise.all(racers.map((racer) => racer.outcome))

    expect(outcomes.filter((outcome) => outcome.locked)).toHaveLength(1)
    for (const outcome of outcomes) if (!outcome.locked) expect(outcome.stderr).toContain(`another import of gym ${gym} holds the lock`)
  })
})
