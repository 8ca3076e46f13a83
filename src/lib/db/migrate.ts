import {hostname} from 'node:os'

import type {Knex} from 'knex'
import type pg from 'pg'

import {CREATED_TABLES, createCreatedTablesList} from '../../../migrations/20261126000000_initial.js'
import {createServerTables} from '../../../migrations/20261205000000_server_layout.js'
import {whileAnotherRunIsAtWork} from './connection.js'
import {processAlive} from './importLockCandidates.js'
import {MastocMigrationSource} from './migrationSource.js'
import {SERVER_TABLES} from './serverSchema.js'
import {dialectOf, type Dialect} from './target.js'

/**
 * Brings the schema up to date. Runs starting at once on a new database race to create knex's own
 * tables, which its lock cannot cover (two lock rows: every migration then fails "already locked").
 * So PostgreSQL migrates under an advisory lock; SQLite makes knex's tables in one transaction
 * first, and a run meeting knex's lock waits and tries again.
 */
export async function migrateToLatest(db: Knex): Promise<string[]> {
  // Every run after the first: no lock to take (on SQLite, the file's write lock), no knex migrator.
  if (await migratedByThisVersion(db)) return []
  if (dialectOf(db) === 'postgres') {
    return withPostgresMigrationLock(db, async () => {
      await db.transaction((trx) => createServerTablesOnNewDatabase(trx, 'postgres'))
      // Under the advisory lock no other mastoc migrates: knex's lock still set is a killed run's.
      await db.migrate.forceFreeMigrationsLock()
      return latestMigrations(db)
    })
  }
  return whileAnotherRunIsAtWork(async () => {
    await createSqliteMigrationTables(db)
    return latestMigrations(db)
  })
}

/**
 * A database that holds none of mastoc's tables gets the five in the server's layout at once, listed
 * as the importer's, as 20261205000000_server_layout leaves them: `initial` then makes only its own
 * tables, and server_layout has nothing to rebuild. Making them in the earlier layout and rebuilding
 * them was most of what migrating a new database cost.
 */
async function createServerTablesOnNewDatabase(trx: Knex.Transaction, dialect: Dialect): Promise<void> {
  const tables = [...SERVER_TABLES, CREATED_TABLES, 'knex_migrations']
  const found: string[] =
    dialect === 'postgres'
      ? await trx('information_schema.tables')
          .where('table_schema', trx.raw('current_schema()'))
          .whereIn('table_name', tables)
          .pluck('table_name')
      : await trx('sqlite_master').where('type', 'table').whereIn('name', tables).pluck('name')
  if (found.some((table) => table !== 'knex_migrations')) return
  if (found.includes('knex_migrations') && (await trx('knex_migrations').first('id'))) return
  await createCreatedTablesList(trx)
  await createServerTables(trx, dialect, SERVER_TABLES)
}

/** Whether the database records exactly this version's migrations, in order. */
async function migratedByThisVersion(db: Knex): Promise<boolean> {
  let recorded: string[]
  try {
    recorded = await db('knex_migrations').orderBy('id').pluck('name')
  } catch (error) {
    if (isMissingTable(error)) return false // a new database: the whole path migrates it
    throw error
  }
  const known = await new MastocMigrationSource().getMigrations()
  return recorded.length === known.length && recorded.every((name, index) => name === known[index])
}

/** PostgreSQL's undefined_table, or SQLite's "no such table". */
function isMissingTable(error: unknown): boolean {
  const {code, message} = error as {code?: unknown; message?: unknown}
  return code === '42P01' || (typeof message === 'string' && message.includes('no such table'))
}

async function latestMigrations(db: Knex): Promise<string[]> {
  await refuseNewerSchema(db)
  const [, applied] = (await db.migrate.latest({beforeAll: refuseMigratedMeanwhile})) as [number, string[]]
  return applied
}

/** A migration managing its own transaction runs outside knex's, which then skips checking another run applied it: start over. */
async function refuseMigratedMeanwhile(db: Knex, migrations: unknown[]): Promise<void> {
  const recorded: string[] = await db('knex_migrations')
    .whereIn('name', migrations as string[])
    .pluck('name')
  if (recorded.length > 0) throw new MigratedMeanwhile(recorded)
}

class MigratedMeanwhile extends Error {
  constructor(names: string[]) {
    super(`another run applied ${names.join(', ')} meanwhile`)
    this.name = 'MigratedMeanwhile'
  }
}

/** A database a later version migrated is refused saying so: knex blames a "corrupt migration directory". */
async function refuseNewerSchema(db: Knex): Promise<void> {
  if (!(await db.schema.hasTable('knex_migrations'))) return
  const known = new Set(await new MastocMigrationSource().getMigrations())
  const recorded: string[] = await db('knex_migrations').orderBy('id').pluck('name')
  const unknown = recorded.filter((name) => !known.has(name))
  if (unknown.length === 0) return
  throw new Error(
    `it was migrated by a later version of mastoc (migration${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}, unknown to this one): ` +
      'use that version, or roll those migrations back with it first',
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

/**
 * knex's tables as knex makes them, and their one lock row, made at once (the first write takes the
 * file's write lock), and on a new database the server's five tables with them.
 */
async function createSqliteMigrationTables(db: Knex): Promise<void> {
  await db.transaction(async (trx) => {
    await trx.raw(
      'create table if not exists `knex_migrations` (`id` integer not null primary key autoincrement, `name` varchar(255), `batch` integer, `migration_time` datetime)',
    )
    await trx.raw(
      'create table if not exists `knex_migrations_lock` (`index` integer not null primary key autoincrement, `is_locked` integer)',
    )
    await trx.raw('insert into `knex_migrations_lock` (`is_locked`) select 0 where not exists (select 1 from `knex_migrations_lock`)')
    await createServerTablesOnNewDatabase(trx, 'sqlite')
    await claimSqliteMigrationLock(trx)
  })
}

/**
 * knex's lock stays set when a run is killed inside a migration that runs outside knex's transaction
 * (server_layout): every later run would fail "Migration table is already locked". So the run about to
 * migrate writes who it is beside the lock (MIGRATOR), under the file's write lock; a lock whose
 * recorded migrator is a process of this host that is gone is freed. Another host's is waited for.
 */
async function claimSqliteMigrationLock(trx: Knex.Transaction): Promise<void> {
  await trx.raw(
    `create table if not exists \`${MIGRATOR}\` (\`pid\` integer not null, \`host\` varchar(255) not null, \`since\` varchar(32) not null)`,
  )
  const lock = await trx('knex_migrations_lock').first('is_locked')
  const migrator = await trx(MIGRATOR).first('pid', 'host')
  let locked = Number(lock?.is_locked ?? 0) === 1
  if (locked && migrator !== undefined && migrator.host === hostname() && !processAlive(Number(migrator.pid))) {
    await trx('knex_migrations_lock').update({is_locked: 0})
    locked = false
  }
  if (locked) return // knex says so, and the run waits for it
  await trx(MIGRATOR).delete()
  await trx(MIGRATOR).insert({pid: process.pid, host: hostname(), since: new Date().toISOString()})
}

/** The run that last set out to migrate this SQLite file: beside knex's lock, and like knex's tables kept after a rollback. */
const MIGRATOR = 'knex_migrations_lock_holder'
