import {existsSync} from 'node:fs'
import {dirname, resolve} from 'node:path'

import {migrateToLatest} from './migrate.js'
import {openDatabase, sessionEndedBy} from './connection.js'
import {parseDatabaseTarget, sqliteFilePath, type DatabaseTarget} from './target.js'
import {describeDatabaseError} from './errors.js'
import {currentLockHolders, type LockHolder} from './importLock.js'
import {SchemaMismatch} from './liveSchema.js'
import {KnexRowStore} from './rowStore.js'
import type {RunRow} from './runHistory.js'
import {openReader} from './sqlReader.js'
import {StatusQueries, type TableCounts} from './statusQueries.js'

/** The database's answer, or why it could not give one. A --database value that is no database throws a UsageError. */
export type AdminResult<T> = ({ok: true} & T) | {ok: false; message: string}

/** `mastoc db migrate`: the schema brought up to date, and what was applied. */
export async function migrateDatabase(databaseValue: string): Promise<AdminResult<{message: string}>> {
  const target = parseDatabaseTarget(databaseValue)
  const open = () => {
    const db = openDatabase(target)
    return {db, close: () => db.destroy(), sessionEnded: () => sessionEndedBy(db)}
  }
  const result = await answer(target, open, async ({db}) => {
    const applied = await migrateToLatest(db)
    const {display} = target
    const migrated = applied.length === 0 ? `${display} is up to date` : `${display}: applied ${applied.join(', ')}`
    // The import's own check of the server's tables: "ready" must mean an import can write into it.
    try {
      await new KnexRowStore(db, target.dialect).inspectSchema()
    } catch (error) {
      if (!(error instanceof SchemaMismatch)) throw error
      return {message: `${migrated}; but an import cannot write into it: ${error.message}`, ready: false}
    }
    return {message: `${migrated}.`, ready: true}
  })
  return result.ok && !result.ready ? {ok: false, message: result.message} : result
}

export interface DatabaseStatus {
  counts: TableCounts
  /** The latest runs, newest first. */
  runs: RunRow[]
  /** Per gym, the last run that completed and wrote. */
  lastCompleted: RunRow[]
  /** Imports running now: who holds each gym's lock, and since when. */
  locks: LockHolder[]
}

export interface StatusQuery {
  /** The latest runs listed; default 10. */
  limit?: number
  /** Only this gym's runs, locks and last import: its Stokt id, or the first characters of it. */
  gym?: string
}

/** `mastoc status`, reading only. A SQLite file not there fails, not created: more likely mistyped (cron's working directory). */
export async function readStatus(
  databaseValue: string,
  query: StatusQuery = {},
): Promise<AdminResult<{status: DatabaseStatus; notice?: string}>> {
  const {limit = 10, gym} = query
  const target = parseDatabaseTarget(databaseValue)
  if (missingSqliteFile(target)) {
    const file = sqliteFilePath(target)!
    const where = existsSync(dirname(resolve(file))) ? '' : ` (nor does its folder ${dirname(resolve(file))})`
    return {
      ok: false,
      message:
        `${target.display} does not exist${where}: check --database (DATABASE_URL) and the directory it is relative to; ` +
        'an import or `mastoc db migrate` creates it (status does not)',
    }
  }
  return answer(
    target,
    () => openReader(target),
    async (reader) => {
      const queries = new StatusQueries(reader)
      const locks = await currentLockHolders(reader)
      const runs = (await queries.latestRuns(limit, gym)).map((run) => asSeenNow(run, locks, Date.now()))
      return {
        status: {
          counts: await queries.counts(),
          runs,
          lastCompleted: await queries.lastCompletedRuns(gym),
          locks: locks.filter((lock) => gym === undefined || lock.gymStoktId.startsWith(gym.toLowerCase())),
        },
      }
    },
  )
}

/**
 * A run recorded `running` that holds no lock, a while after it started, is a run whose process died: it
 * says `abandoned`, as the next import of its gym will record it. (A live run takes its gym's lock as it
 * starts, or waits for it as `waiting`.)
 */
function asSeenNow(run: RunRow, locks: readonly LockHolder[], nowMs: number): RunRow {
  if (run.status !== 'running' || locks.some((lock) => lock.runId === run.id)) return run
  if (nowMs - Date.parse(run.startedAt) < LOCKLESS_START_MS) return run
  return {
    ...run,
    status: 'abandoned',
    error: run.error ?? 'the run holds no lock: its process was killed or lost before it could record how it ended',
  }
}

/** Long enough for a run that has just started to take its gym's lock. */
const LOCKLESS_START_MS = 30_000

/** `work` on what `open` opens, closed after; a failure is the answer, naming the database. */
async function answer<D extends {close(): Promise<void>; sessionEnded(): Error | undefined}, T>(
  target: DatabaseTarget,
  open: () => D,
  work: (opened: D) => Promise<T>,
): Promise<AdminResult<T>> {
  let opened: D | undefined
  try {
    opened = open()
    return {ok: true, ...(await work(opened))}
  } catch (error) {
    return {ok: false, message: `the database ${target.display} failed: ${describeDatabaseError(error, opened?.sessionEnded(), target)}`}
  } finally {
    await opened?.close()
  }
}

/** A SQLite file (or its directory) not made yet: opening it read-only fails SQLITE_CANTOPEN. */
function missingSqliteFile(target: DatabaseTarget): boolean {
  const file = sqliteFilePath(target)
  return file !== undefined && !existsSync(file)
}
