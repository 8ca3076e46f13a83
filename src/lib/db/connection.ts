import {accessSync, constants, existsSync, readFileSync, statSync} from 'node:fs'
import {dirname} from 'node:path'
import {createRequire} from 'node:module'
import {setTimeout as sleep} from 'node:timers/promises'

import type BetterSqlite3 from 'better-sqlite3'
import type {Knex} from 'knex'
import type pg from 'pg'

import {MastocMigrationSource} from './migrationSource.js'
import {retryBusyStatements, SQLITE_BUSY_TIMEOUT_MS} from './sqliteBusy.js'
import type {DatabaseTarget} from './target.js'

/**
 * pg 8 takes `sslmode` prefer, require and verify-ca as verify-full, and says so in a nine-line
 * warning on stderr, once a run: cron would mail it every night (--quiet or not). Written as the
 * verify-full they are, they connect exactly as before, without it. `uselibpqcompat=true` (libpq's
 * meanings) is left as it is: pg does not warn then.
 */
function pgConnectionString(url: string): string {
  if (/[?&]uselibpqcompat=true(&|#|$)/i.test(url)) return url
  return url.replace(/([?&]sslmode=)(prefer|require|verify-ca)(?=&|#|$)/gi, '$1verify-full')
}

/**
 * knex and the driver the URL names are loaded when a database is opened, not with the command:
 * `--help`, a usage error or `status` on a missing file need neither, and SQLite never needs pg.
 */
const require = createRequire(import.meta.url)
const knexFactory = (config: Knex.Config): Knex => (require('knex') as typeof import('knex')).knex(config)
/** pg, loaded at the first PostgreSQL connection. */
export const loadPg = (): typeof pg => require('pg') as typeof pg

const TIMESTAMPTZ_OID = 1184
const TIMESTAMP_OID = 1114
const INT8_OID = 20

/**
 * pg parses timestamptz into a Date, losing microseconds: keep the text. A `timestamp` without time
 * zone (a server's schema may have one) holds the UTC time the importer wrote: its text, marked
 * UTC. int8 holds ids fit a number.
 */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMPTZ_OID) return (text: string) => text
    if (oid === TIMESTAMP_OID) return (text: string) => `${text}Z`
    if (oid === INT8_OID) return (text: string) => Number(text)
    return loadPg().types.getTypeParser(oid, format as 'text')
  },
}

/**
 * knex logs some failures itself (a connection it could not open, a migration lock it could not
 * take), on stdout and with stack traces. Each also reaches the caller as an error, which the CLI
 * reports in one line on stderr; and `--json` promises nothing on stdout but the summary.
 */
const knexLog = {warn() {}, error() {}}

/** `readOnly`: looking only (`mastoc status`): a SQLite file must exist and is never written. */
export function openDatabase(target: DatabaseTarget, options: {readOnly?: boolean} = {}): Knex {
  if (target.dialect === 'postgres') {
    const db: Knex = knexFactory({
      log: knexLog,
      client: 'pg',
      connection: {connectionString: pgConnectionString(target.location), types: pgTypes} as Knex.PgConnectionConfig,
      pool: {
        min: 0,
        max: 4,
        afterCreate(connection: pg.Client, done: (error: Error | null, connection: pg.Client) => void) {
          sessionPidsOf(db).add((connection as unknown as {processID: number}).processID)
          connection.on('error', (error: Error & {code?: unknown}) => {
            // The server's own reason, with its code, comes first; pg's "terminated unexpectedly" after it.
            if (typeof error.code === 'string' || !sessionsEnded.has(db)) sessionsEnded.set(db, error)
          })
          // synchronous_commit off, for the importer's own session only: a commit no longer waits for its WAL to
          // reach the disk (an fsync per batch: ~15% of an import here). Each transaction stays
          // atomic, and the WAL is written in order: a PostgreSQL crash can lose only the last
          // commits, whole, never half a batch, never a run recorded as done without its batches;
          // the next run imports them again.
          // The text the importer reads back and compares, whatever the role or database set: ISO
          // instants in UTC (DateStyle 'SQL' or 'German' gave '26/11/2026 14:41:22.481 UTC', which
          // never equals what Stokt sent), floats with every digit (a negative extra_float_digits
          // rounds them; 3, not 1, is exact before PostgreSQL 12 too, and the same from 12 on).
          connection.query(
            `SET TIME ZONE 'UTC'; SET DateStyle TO ISO; SET extra_float_digits TO 3; SET synchronous_commit TO off; ${LOCK_TIMEOUT_SETTING}`,
            (error) => done(error, connection),
          )
        },
      },
      migrations: {migrationSource: new MastocMigrationSource()},
    })
    return db
  }
  const inMemoryCopy = options.readOnly ? sqliteCopyToRead(target.location) : undefined
  const db = knexFactory({
    log: knexLog,
    client: 'better-sqlite3',
    // A provider, so that knex does not deep-clone the copy.
    connection: inMemoryCopy
      ? () => ({filename: inMemoryCopy as unknown as string, options: {readonly: true}})
      : {filename: target.location, options: {readonly: options.readOnly ?? false}},
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(connection: SqliteConnection, done: (error: Error | null, connection: unknown) => void) {
        const configure = async () => {
          // WAL + NORMAL: a transaction per record (--no-batch) is ~7× faster, and readers are not blocked.
          if (!options.readOnly) {
            await useWal(connection)
            // Checkpoint every ~40 MB of WAL rather than 4 MB: each batch's commit rewrites index pages
            // (Stokt's ids are random), and checkpointing them after nearly every batch copied them
            // again (measured: ~10% of a 100,000-climb import). The run checkpoints once at its end.
            connection.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`)
          }
          connection.pragma('synchronous = NORMAL')
          connection.pragma('foreign_keys = ON')
          connection.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
        }
        configure().then(
          () => done(null, connection),
          (error: Error) => done(error, connection),
        )
      },
    },
    migrations: {migrationSource: new MastocMigrationSource()},
  })
  retryBusyStatements(db)
  return db
}

/**
 * A SQLite file opened to read only (`mastoc status`), on better-sqlite3 itself: knex would add most
 * of the command's start-up. It must exist, and is never written.
 */
export function openSqliteToRead(target: DatabaseTarget): BetterSqlite3.Database {
  const Database = require('better-sqlite3') as typeof BetterSqlite3
  const database = new Database(sqliteCopyToRead(target.location) ?? target.location, {readonly: true, fileMustExist: true})
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
  return database
}

/**
 * Reading a WAL file needs its `-shm` index, which SQLite makes beside it: in a folder that cannot
 * be written, with no `-shm` there (no one has the file open), SQLite cannot open it even read-only
 * (SQLITE_CANTOPEN). With no `-wal` either, the file alone holds everything: it is read from a copy
 * in memory, marked as a rollback-journal file (a header change in the copy only).
 */
function sqliteCopyToRead(file: string): Buffer | undefined {
  if (file === ':memory:' || file === '' || !existsSync(file) || existsSync(`${file}-shm`)) return undefined
  if ((statSync(`${file}-wal`, {throwIfNoEntry: false})?.size ?? 0) > 0 || folderWritable(dirname(file))) return undefined
  const copy = readFileSync(file)
  // Bytes 18 and 19: the file format versions to write and read, 2 for WAL, 1 for a rollback journal.
  if (copy.length >= 100 && copy[18] === 2 && copy[19] === 2) copy.fill(1, 18, 20)
  return copy
}

function folderWritable(folder: string): boolean {
  try {
    accessSync(folder, constants.W_OK)
    return true
  } catch {
    return false
  }
}

/**
 * How long a statement waits for a lock another session holds (a table locked, a row held in an
 * open transaction) before PostgreSQL gives up on it (55P03): a batch takes under a second and
 * another gym's import holds shared setters for no longer, so a minute is a session that is stuck,
 * reported the same night rather than waited for without end. MASTOC_TEST_LOCK_TIMEOUT_MS is for
 * the tests only.
 */
export const POSTGRES_LOCK_TIMEOUT_MS = Number(process.env.MASTOC_TEST_LOCK_TIMEOUT_MS) || 60_000
export const LOCK_TIMEOUT_SETTING = `SET lock_timeout TO ${POSTGRES_LOCK_TIMEOUT_MS}`

/** Per PostgreSQL database handle, the server pids of its sessions: what lockWaits.ts watches. */
const sessionPids = new WeakMap<Knex, Set<number>>()

export function sessionPidsOf(db: Knex): Set<number> {
  let pids = sessionPids.get(db)
  if (!pids) sessionPids.set(db, (pids = new Set()))
  return pids
}

/**
 * Per PostgreSQL database, why the server last ended one of its sessions, in its words: an
 * administrator's pg_terminate_backend, idle_in_transaction_session_timeout, a shutdown. Ended
 * between two queries (a transaction between statements), a session tells the next query only
 * pg's "Connection terminated unexpectedly" or "Client has encountered a connection error and is
 * not queryable".
 */
const sessionsEnded = new WeakMap<Knex, Error>()

export function sessionEndedBy(db: Knex): Error | undefined {
  return sessionsEnded.get(db)
}

/** Pages of 4 KiB. */
const WAL_CHECKPOINT_PAGES = 10_000

interface SqliteConnection {
  pragma(sql: string): unknown
}

/**
 * Switching a new file to WAL needs it to itself for a moment, and SQLite answers SQLITE_BUSY at
 * once, without waiting, while another run is creating it: by the next try, it is WAL.
 */
function useWal(connection: SqliteConnection): Promise<void> {
  return whileAnotherRunIsAtWork(async () => {
    connection.pragma('journal_mode = WAL')
  })
}

/**
 * SQLite, a new file: `work` again, after a moment, while another run holds what it needs (the
 * file busy, knex's migration lock), for 10 s at most: creating and migrating a file takes well
 * under a second, and something else holding it longer is reported as it is.
 */
export async function whileAnotherRunIsAtWork<T>(work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000
  for (;;) {
    try {
      return await work()
    } catch (error) {
      const {name, code} = error as {name?: unknown; code?: unknown}
      const anotherRun =
        name === 'MigrationLocked' || name === 'MigratedMeanwhile' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY'))
      if (!anotherRun || Date.now() >= deadline) throw error
      await sleep(50 + Math.random() * 100)
    }
  }
}
