import {createRequire} from 'node:module'
import {setTimeout as sleep} from 'node:timers/promises'

import type {Knex} from 'knex'
import type pg from 'pg'

import {MastocMigrationSource} from './migrationSource.js'

export type Dialect = 'sqlite' | 'postgres'

export interface DatabaseTarget {
  dialect: Dialect
  /** A postgres URL, or a SQLite file path (':memory:' allowed). */
  location: string
  /** The target with any password masked, for every message. */
  display: string
}

/**
 * `postgres://…` / `postgresql://…` → PostgreSQL; a path, with or without `sqlite:`, → SQLite.
 * A mistyped URL (`postgress://u:pw@host/db`, `mysql://…`, `u:pw@host`) is refused, its password
 * masked, rather than taken for a file name: that would create a file of that name, and show the
 * password in every message naming the database.
 */
export function parseDatabaseTarget(value: string): DatabaseTarget {
  const trimmed = value.trim()
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    const display = maskUrlPassword(trimmed)
    const broken = passwordBreakingUrl(trimmed)
    if (broken) {
      throw new Error(`--database: ${display}: its password holds a raw '${broken}', which ends a URL's host part: write it percent-encoded (${encodeURIComponent(broken)})`)
    }
    return {dialect: 'postgres', location: trimmed, display}
  }
  const explicitSqlite = /^sqlite:/i.test(trimmed)
  const path = trimmed.replace(/^sqlite:(\/\/)?/i, '')
  if (path === '') throw new Error(`--database: ${DATABASE_EXPECTED}`)
  if (!explicitSqlite && looksLikeUrl(path)) {
    throw new Error(`--database: ${maskUrlPassword(path)} is not one: ${DATABASE_EXPECTED} (for a file whose name has a colon: sqlite:NAME)`)
  }
  return {dialect: 'sqlite', location: path, display: `sqlite:${path}`}
}

const DATABASE_EXPECTED = 'expected a postgres:// URL or a SQLite file path'

/** A scheme (`mysql:`, `postgress:`; not a drive letter, `C:\`), or credentials before an `@`. */
function looksLikeUrl(path: string): boolean {
  return /^[a-z][a-z0-9+.-]+:/i.test(path) || /^[^/@]*:[^/]*@/.test(path)
}

/**
 * A '/', '?' or '#' written raw in a URL's password ends the host part there: pg would take what
 * follows in the password for the host (and name it in its errors: a piece of the password shown)
 * or for the database. The character, when the credentials (as credentialsEnd reads them) reach
 * past where the host part ends, and what comes before that end is not a plain host[:port] (an
 * '@' in the query string of a URL without credentials is no password).
 */
function passwordBreakingUrl(url: string): string | undefined {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
  const hostPartEnd = rest.search(/[/?#]/)
  if (hostPartEnd < 0 || credentialsEnd(rest) < hostPartEnd) return undefined
  const hostPart = rest.slice(0, hostPartEnd)
  if (/^([^@:[\]]*|\[[^\]]*\])(:\d*)?$/.test(hostPart)) return undefined
  return rest[hostPartEnd]
}

/**
 * Where the credentials of a URL (without its scheme) end: at its last '@', as pg reads them (a
 * password may hold a raw '@'); but when every '@' after the host part is in the query string of a
 * URL with a path (`…@db.example.com/mastoc?application_name=mastoc@cron`), at the host part's.
 */
function credentialsEnd(rest: string): number {
  const hostPartEnd = rest.search(/[/?#]/)
  const inHostPart = hostPartEnd > 0 ? rest.lastIndexOf('@', hostPartEnd) : -1
  if (inHostPart >= 0 && /^\/[^?#@]*(\?[^#]*)?$/.test(rest.slice(hostPartEnd))) return inHostPart
  return rest.lastIndexOf('@')
}

/** The file a SQLite target lives in; undefined for PostgreSQL and for an in-memory database. */
export function sqliteFilePath(target: DatabaseTarget): string | undefined {
  return target.dialect === 'sqlite' && target.location !== ':memory:' && target.location !== '' ? target.location : undefined
}

/**
 * The URL with its password masked, however it was written: the credentials as credentialsEnd
 * reads them (a password may hold a raw '@'), and `?password=` in the query string.
 */
export function maskUrlPassword(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? ''
  let rest = url.slice(scheme.length)
  const lastAt = credentialsEnd(rest)
  if (lastAt >= 0) {
    const userinfo = rest.slice(0, lastAt)
    const colon = userinfo.indexOf(':')
    if (colon >= 0) rest = `${userinfo.slice(0, colon)}:***${rest.slice(lastAt)}`
  }
  return scheme + rest.replace(/([?&]password=)[^&#]*/gi, '$1***')
}

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
          connection.on('error', (error: Error & {code?: unknown}) => {
            // The server's own reason, with its code, comes first; pg's "terminated unexpectedly" after it.
            if (typeof error.code === 'string' || !sessionsEnded.has(db)) sessionsEnded.set(db, error)
          })
          // synchronous_commit off, for this session only: a commit no longer waits for its WAL to
          // reach the disk (an fsync per batch: ~15% of an import here). Each transaction stays
          // atomic, and the WAL is written in order: a PostgreSQL crash can lose only the last
          // commits, whole, never half a batch, never a run recorded as done without its batches;
          // the next run imports them again.
          // The text the importer reads back and compares, whatever the role or database set: ISO
          // instants in UTC (DateStyle 'SQL' or 'German' gave '26/11/2026 14:41:22.481 UTC', which
          // never equals what Stokt sent), floats with every digit (a negative extra_float_digits
          // rounds them; 3, not 1, is exact before PostgreSQL 12 too, and the same from 12 on).
          connection.query(
            "SET TIME ZONE 'UTC'; SET DateStyle TO ISO; SET extra_float_digits TO 3; SET synchronous_commit TO off",
            (error) => done(error, connection),
          )
        },
      },
      migrations: {migrationSource: new MastocMigrationSource()},
    })
    return db
  }
  return knexFactory({
    log: knexLog,
    client: 'better-sqlite3',
    connection: {filename: target.location, options: {readonly: options.readOnly ?? false}},
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
          connection.pragma('busy_timeout = 5000')
        }
        configure().then(
          () => done(null, connection),
          (error: Error) => done(error, connection),
        )
      },
    },
    migrations: {migrationSource: new MastocMigrationSource()},
  })
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
 * Brings the schema up to date. Runs that start at once on a new database (cron, one per gym) would
 * race to create knex's own bookkeeping tables, which its migration lock cannot cover, and could
 * leave two lock rows behind, after which every migration fails "already locked". So: PostgreSQL
 * migrates under an advisory lock, one run at a time; SQLite creates the bookkeeping tables in one
 * write transaction first, and a run that meets knex's lock held (or the file busy) waits and tries
 * again, by which time the other has migrated.
 */
export async function migrateToLatest(db: Knex): Promise<string[]> {
  if (db.client.config.client === 'pg') return withPostgresMigrationLock(db, () => latestMigrations(db))
  return whileAnotherRunIsAtWork(async () => {
    await createSqliteMigrationTables(db)
    return latestMigrations(db)
  })
}

async function latestMigrations(db: Knex): Promise<string[]> {
  await refuseNewerSchema(db)
  const [, applied] = (await db.migrate.latest({beforeAll: refuseMigratedMeanwhile})) as [number, string[]]
  return applied
}

/**
 * A batch holding a migration that manages its own transaction (20261205000000_server_layout) runs
 * outside knex's, and then knex no longer checks, once it has its lock, that another run did not
 * apply the batch while this one waited: it would run and record them again. Such a run starts
 * over instead (whileAnotherRunIsAtWork), and finds nothing left to do.
 */
async function refuseMigratedMeanwhile(db: Knex, migrations: unknown[]): Promise<void> {
  const recorded: string[] = await db('knex_migrations').whereIn('name', migrations as string[]).pluck('name')
  if (recorded.length > 0) throw new MigratedMeanwhile(recorded)
}

class MigratedMeanwhile extends Error {
  constructor(names: string[]) {
    super(`another run applied ${names.join(', ')} meanwhile`)
    this.name = 'MigratedMeanwhile'
  }
}

/**
 * A database a later build has migrated (ops rolling back an upgrade) is refused saying so: knex's
 * own refusal blames a "corrupt migration directory", which this build does not even have.
 */
async function refuseNewerSchema(db: Knex): Promise<void> {
  if (!(await db.schema.hasTable('knex_migrations'))) return
  const known = new Set(await new MastocMigrationSource().getMigrations())
  const recorded: string[] = await db('knex_migrations').orderBy('id').pluck('name')
  const unknown = recorded.filter((name) => !known.has(name))
  if (unknown.length === 0) return
  throw new Error(
    `it was migrated by a later build of mastoc (migration${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}, unknown to this one): ` +
      'use that build, or roll those migrations back with it first',
  )
}

/** Any constant: the key of the advisory lock that migrations of a mastoc database take. */
const MIGRATION_LOCK_KEY = 7_364_110_022

async function withPostgresMigrationLock<T>(db: Knex, work: () => Promise<T>): Promise<T> {
  // A connection of its own holds the lock while knex migrates on others (the pool has four).
  const connection = (await db.client.acquireConnection()) as pg.Client
  try {
    await connection.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY])
    try {
      return await work()
    } finally {
      await connection.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
    }
  } finally {
    await db.client.releaseConnection(connection)
  }
}

/** knex's tables as knex makes them, and their one lock row, made at once: the first write takes the file's write lock. */
async function createSqliteMigrationTables(db: Knex): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw(
      'create table if not exists `knex_migrations` (`id` integer not null primary key autoincrement, `name` varchar(255), `batch` integer, `migration_time` datetime)',
    )
    await trx.raw('create table if not exists `knex_migrations_lock` (`index` integer not null primary key autoincrement, `is_locked` integer)')
    await trx.raw('insert into `knex_migrations_lock` (`is_locked`) select 0 where not exists (select 1 from `knex_migrations_lock`)')
  })
}

/**
 * SQLite, a new file: `work` again, after a moment, while another run holds what it needs (the
 * file busy, knex's migration lock), for 10 s at most: creating and migrating a file takes well
 * under a second, and something else holding it longer is reported as it is.
 */
async function whileAnotherRunIsAtWork<T>(work: () => Promise<T>): Promise<T> {
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
