import {accessSync, constants, existsSync, readFileSync, statSync} from 'node:fs'
import {dirname} from 'node:path'
import {createRequire} from 'node:module'
import {setTimeout as sleep} from 'node:timers/promises'

import type BetterSqlite3 from 'better-sqlite3'
import type {Knex} from 'knex'
import type pg from 'pg'

import {instantFromPostgres} from './encodings.js'
import {MastocMigrationSource} from './migrationSource.js'
import {retryBusyStatements, SQLITE_BUSY_TIMEOUT_MS} from './sqliteBusy.js'
import type {DatabaseTarget} from './target.js'

/** pg 8 reads sslmode prefer/require/verify-ca as verify-full, warning on stderr each run (cron mails it): written so, it is silent. */
function pgConnectionString(url: string): string {
  if (/[?&]uselibpqcompat=true(&|#|$)/i.test(url)) return url
  return url.replace(/([?&]sslmode=)(prefer|require|verify-ca)(?=&|#|$)/gi, '$1verify-full')
}

// knex and the URL's driver load when a database is opened: `--help` or a usage error need neither.
const require = createRequire(import.meta.url)
const knexFactory = (config: Knex.Config): Knex => (require('knex') as typeof import('knex')).knex(config)
let pgModule: typeof pg | undefined
/** Kept once loaded: pg asks for a type parser per column of every result, and each require() resolves the path again. */
export const loadPg = (): typeof pg => (pgModule ??= require('pg') as typeof pg)

const TIMESTAMPTZ_OID = 1184
const TIMESTAMP_OID = 1114
const INT8_OID = 20

/**
 * pg parses timestamptz into a Date, losing microseconds: keep the text; a naive `timestamp` is UTC, read
 * in the canonical form the import compares with (the re-run's fast path, rowValues.ts); int8 ids fit a number.
 */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMPTZ_OID) return (text: string) => text
    if (oid === TIMESTAMP_OID) return instantFromPostgres
    if (oid === INT8_OID) return (text: string) => Number(text)
    return loadPg().types.getTypeParser(oid, format as 'text')
  },
}

/** knex logs some failures itself, with stacks, on stdout (which `--json` keeps for the summary); each reaches the caller anyway. */
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
          // synchronous_commit off, this session only: a commit skips its WAL fsync; a crash loses only
          // the last whole commits, which the next run imports again. The rest holds whatever the role
          // sets: ISO instants in UTC and floats with every digit (3 is exact before PostgreSQL 12 too),
          // read back and compared; READ COMMITTED, which the row writer's lookups rely on
          // (postgresRowWriter.ts).
          connection.query(
            `SET TIME ZONE 'UTC'; SET DateStyle TO ISO; SET extra_float_digits TO 3; SET default_transaction_isolation TO 'read committed'; SET synchronous_commit TO off; ${LOCK_TIMEOUT_SETTING}`,
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
            // Every ~40 MB of WAL, not 4 MB: batches rewrite index pages (random Stokt ids), which a
            // checkpoint per batch copied again. The run checkpoints once at its end.
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

/** A SQLite file opened to read only (`mastoc status`), without knex, which would be most of its start-up. */
export function openSqliteToRead(target: DatabaseTarget): BetterSqlite3.Database {
  const Database = require('better-sqlite3') as typeof BetterSqlite3
  const database = new Database(sqliteCopyToRead(target.location) ?? target.location, {readonly: true, fileMustExist: true})
  database.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`)
  return database
}

/** A WAL file with no -shm, in a folder not writable, cannot open even read-only: read from a copy marked rollback-journal. */
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

/** How long a statement waits for another session's lock (55P03): a batch holds its locks for under a second. Env: tests only. */
export const POSTGRES_LOCK_TIMEOUT_MS = Number(process.env.MASTOC_TEST_LOCK_TIMEOUT_MS) || 60_000
export const LOCK_TIMEOUT_SETTING = `SET lock_timeout TO ${POSTGRES_LOCK_TIMEOUT_MS}`

/** Per PostgreSQL database handle, the server pids of its sessions: what lockWaits.ts watches. */
const sessionPids = new WeakMap<Knex, Set<number>>()

export function sessionPidsOf(db: Knex): Set<number> {
  let pids = sessionPids.get(db)
  if (!pids) sessionPids.set(db, (pids = new Set()))
  return pids
}

/** Per database, why the server last ended a session, in its words: the next query is told only "Connection terminated". */
const sessionsEnded = new WeakMap<Knex, Error>()

export function sessionEndedBy(db: Knex): Error | undefined {
  return sessionsEnded.get(db)
}

/** Pages of 4 KiB. */
export const WAL_CHECKPOINT_PAGES = 10_000

interface SqliteConnection {
  pragma(sql: string): unknown
}

/** Switching a new file to WAL answers SQLITE_BUSY at once, unwaited, while another run creates it: by the next try, it is WAL. */
function useWal(connection: SqliteConnection): Promise<void> {
  return whileAnotherRunIsAtWork(async () => {
    connection.pragma('journal_mode = WAL')
  })
}

/** SQLite, a new file: `work` again while another run holds the file or knex's migration lock, for 10 s at most. */
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
