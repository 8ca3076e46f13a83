import knexFactory, {type Knex} from 'knex'
import pg from 'pg'

import {MastocMigrationSource} from './migrationSource.js'

export type Dialect = 'sqlite' | 'postgres'

export interface DatabaseTarget {
  dialect: Dialect
  /** A postgres URL, or a SQLite file path (':memory:' allowed). */
  location: string
  /** The target with any password masked, for every message. */
  display: string
}

/** `postgres://…` / `postgresql://…` → PostgreSQL; a path, with or without `sqlite:`, → SQLite. */
export function parseDatabaseTarget(value: string): DatabaseTarget {
  const trimmed = value.trim()
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    return {dialect: 'postgres', location: trimmed, display: maskUrlPassword(trimmed)}
  }
  const path = trimmed.replace(/^sqlite:(\/\/)?/i, '')
  if (path === '') throw new Error('--database: expected a postgres:// URL or a SQLite file path')
  return {dialect: 'sqlite', location: path, display: `sqlite:${path}`}
}

/**
 * The URL with its password masked, however it was written: pg takes the credentials up to the
 * LAST '@' (a password may hold a raw '@'), and also reads `?password=` from the query string.
 */
export function maskUrlPassword(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? ''
  let rest = url.slice(scheme.length)
  const lastAt = rest.lastIndexOf('@')
  if (lastAt >= 0) {
    const userinfo = rest.slice(0, lastAt)
    const colon = userinfo.indexOf(':')
    if (colon >= 0) rest = `${userinfo.slice(0, colon)}:***${rest.slice(lastAt)}`
  }
  return scheme + rest.replace(/([?&]password=)[^&#]*/gi, '$1***')
}

const TIMESTAMPTZ_OID = 1184
const INT8_OID = 20

/** pg parses timestamptz into a Date, losing microseconds: keep the text. int8 holds ids fit a number. */
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === TIMESTAMPTZ_OID) return (text: string) => text
    if (oid === INT8_OID) return (text: string) => Number(text)
    return pg.types.getTypeParser(oid, format as 'text')
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
    return knexFactory({
      log: knexLog,
      client: 'pg',
      connection: {connectionString: target.location, types: pgTypes} as Knex.PgConnectionConfig,
      pool: {
        min: 0,
        max: 4,
        afterCreate(connection: pg.Client, done: (error: Error | null, connection: pg.Client) => void) {
          // synchronous_commit off, for this session only: a commit no longer waits for its WAL to
          // reach the disk (an fsync per batch: ~15% of an import here). Each transaction stays
          // atomic, and the WAL is written in order: a PostgreSQL crash can lose only the last
          // commits, whole, never half a batch, never a run recorded as done without its batches;
          // the next run imports them again.
          connection.query("SET TIME ZONE 'UTC'; SET synchronous_commit TO off", (error) => done(error, connection))
        },
      },
      migrations: {migrationSource: new MastocMigrationSource()},
    })
  }
  return knexFactory({
    log: knexLog,
    client: 'better-sqlite3',
    connection: {filename: target.location, options: {readonly: options.readOnly ?? false}},
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      afterCreate(connection: {pragma(sql: string): unknown}, done: (error: Error | null, connection: unknown) => void) {
        try {
          // WAL + NORMAL: a transaction per record (--no-batch) is ~7× faster, and readers are not blocked.
          if (!options.readOnly) {
            connection.pragma('journal_mode = WAL')
            // Checkpoint every ~40 MB of WAL rather than 4 MB: each batch's commit rewrites index pages
            // (Stokt's ids are random), and checkpointing them after nearly every batch copied them
            // again (measured: ~10% of a 100,000-climb import). The run checkpoints once at its end.
            connection.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`)
          }
          connection.pragma('synchronous = NORMAL')
          connection.pragma('foreign_keys = ON')
          connection.pragma('busy_timeout = 5000')
          done(null, connection)
        } catch (error) {
          done(error as Error, connection)
        }
      },
    },
    migrations: {migrationSource: new MastocMigrationSource()},
  })
}

/** Pages of 4 KiB. */
const WAL_CHECKPOINT_PAGES = 10_000

export async function migrateToLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest()) as [number, string[]]
  return applied
}
