import {existsSync} from 'node:fs'
import {dirname, resolve} from 'node:path'

import {migrateToLatest} from './migrate.js'
import {openDatabase, openSqliteToRead, sessionEndedBy} from './connection.js'
import {parseDatabaseTarget, sqliteFilePath, type DatabaseTarget} from './target.js'
import {describeDatabaseError} from './errors.js'
import {currentLockHolders, type LockHolder} from './importLock.js'
import type {RunRow} from './runHistory.js'
import {knexReader, sqliteReader, type SqlReader} from './sqlReader.js'
import {StatusQueries, type TableCounts} from './statusQueries.js'

/** The database's answer, or why it could not give one. A --database value that is no database throws a UsageError. */
export type AdminResult<T> = ({ok: true} & T) | {ok: false; message: string}

/** `mastoc db migrate`: the schema brought up to date, and what was applied. */
export async function migrateDatabase(databaseValue: string): Promise<AdminResult<{message: string}>> {
  return withDatabase(parseDatabaseTarget(databaseValue), {}, async (db, display) => {
    const applied = await migrateToLatest(db)
    return {
      message: applied.length === 0 ? `${display} is up to date.` : `${display}: applied ${applied.join(', ')}.`,
    }
  })
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
  const read = async (reader: SqlReader) => {
    const queries = new StatusQueries(reader)
    return {
      status: {
        counts: await queries.counts(),
        runs: await queries.latestRuns(limit, gym),
        lastCompleted: await queries.lastCompletedRuns(gym),
        locks: (await currentLockHolders(reader)).filter((lock) => gym === undefined || lock.gymStoktId.startsWith(gym.toLowerCase())),
      },
    }
  }
  if (target.dialect === 'postgres') return withDatabase(target, {readOnly: true}, (db) => read(knexReader(db, 'postgres')))
  let database: ReturnType<typeof openSqliteToRead> | undefined
  try {
    database = openSqliteToRead(target)
    return {ok: true, ...(await read(sqliteReader(database)))}
  } catch (error) {
    return {ok: false, message: `the database ${target.display} failed: ${describeDatabaseError(error, undefined, target)}`}
  } finally {
    database?.close()
  }
}

async function withDatabase<T>(
  target: DatabaseTarget,
  options: {readOnly?: boolean},
  work: (db: ReturnType<typeof openDatabase>, display: string, dialect: 'sqlite' | 'postgres') => Promise<T>,
): Promise<AdminResult<T>> {
  const db = openDatabase(target, options)
  try {
    return {ok: true, ...(await work(db, target.display, target.dialect))}
  } catch (error) {
    return {ok: false, message: `the database ${target.display} failed: ${describeDatabaseError(error, sessionEndedBy(db), target)}`}
  } finally {
    await db.destroy()
  }
}

/** A SQLite file (or its directory) not made yet: opening it read-only fails SQLITE_CANTOPEN. */
function missingSqliteFile(target: DatabaseTarget): boolean {
  const file = sqliteFilePath(target)
  return file !== undefined && !existsSync(file)
}
