import {randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import knexFactory, {type Knex} from 'knex'
import pg from 'pg'

import {openDatabase} from '../../src/lib/db/connection.js'
import {parseDatabaseTarget} from '../../src/lib/db/target.js'

/**
 * Databases for tests: a fresh SQLite file or an empty PostgreSQL database each. PostgreSQL suites
 * run when the server answers; CI sets MASTOC_TEST_POSTGRES=required so that a missing server fails.
 */
export type DatabaseKind = 'sqlite' | 'postgres'

export const DATABASE_KINDS: DatabaseKind[] = ['sqlite', 'postgres']

const ADMIN_URL = process.env.MASTOC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REQUIRED = process.env.MASTOC_TEST_POSTGRES === 'required'

/**
 * One session to the server's own database per process, for creating, emptying and dropping the
 * tests' databases: a new session costs the server ~15 ms of CPU here, and every test took two.
 * Idle, it never keeps the process alive.
 */
const admin = new pg.Pool({
  connectionString: ADMIN_URL,
  max: 1,
  idleTimeoutMillis: 0,
  allowExitOnIdle: true,
  connectionTimeoutMillis: 30_000,
})
admin.on('error', () => {}) // a session lost while idle: the pool opens another when next asked

/**
 * Whether PostgreSQL answers, within 3 s. The pool itself waits longer: its one session may be busy
 * dropping a database whose sessions a killed import left (DROP … WITH (FORCE) waits for them to end).
 */
async function probePostgres(): Promise<boolean> {
  const probe = new pg.Client({connectionString: ADMIN_URL, connectionTimeoutMillis: 3000})
  try {
    await probe.connect()
    await probe.query('select 1')
    return true
  } catch (error) {
    if (REQUIRED)
      throw new Error(`PostgreSQL is required (MASTOC_TEST_POSTGRES=required) but ${ADMIN_URL} did not answer: ${(error as Error).message}`)
    console.warn(`\n[notice] PostgreSQL at ${ADMIN_URL} is not reachable: the PostgreSQL suites are SKIPPED.\n`)
    return false
  } finally {
    await probe.end().catch(() => {})
  }
}

export const POSTGRES_AVAILABLE = await probePostgres()

/** True when the suites of this kind cannot run here (and that is allowed). */
export function unavailable(kind: DatabaseKind): boolean {
  return kind === 'postgres' && !POSTGRES_AVAILABLE
}

export interface TestDatabase {
  kind: DatabaseKind
  /** What --database / DATABASE_URL takes. */
  url: string
  /** A knex handle for assertions (opened lazily, closed by drop()). */
  knex(): Knex
  drop(): Promise<void>
}

export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'sqlite') return sqliteDatabase()
  const name = await createPostgresDatabase()
  return postgresDatabase(name, () => dropPostgresDatabase(name))
}

function sqliteDatabase(): TestDatabase {
  let handle: Knex | undefined
  const dir = mkdtempSync(join(tmpdir(), 'mastoc-test-'))
  const url = join(dir, 'mastoc.db')
  return {
    kind: 'sqlite',
    url,
    knex: () => (handle ??= openDatabase(parseDatabaseTarget(url))),
    async drop() {
      await handle?.destroy()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** `name` as a TestDatabase: drop() closes the handle, then calls `release`. */
function postgresDatabase(name: string, release: () => Promise<void>): TestDatabase {
  let handle: Knex | undefined
  let released: Promise<void> | undefined
  const url = databaseUrl(name)
  return {
    kind: 'postgres',
    url,
    knex: () => (handle ??= openDatabase(parseDatabaseTarget(url))),
    drop: () =>
      (released ??= (async () => {
        await handle?.destroy()
        await release()
      })()),
  }
}

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

async function createPostgresDatabase(): Promise<string> {
  const name = `mastoc_test_${randomBytes(6).toString('hex')}`
  await admin.query(`create database ${name}`)
  return name
}

async function dropPostgresDatabase(name: string): Promise<void> {
  await admin.query(`drop database if exists ${name} with (force)`)
}

/**
 * Makes database `name` again as CREATE DATABASE made it from template1: no sessions, no settings
 * of its own (ALTER DATABASE … SET), and no schema but an empty `public`, owned and granted as
 * template1's is — so no table, sequence, function or trigger a test or an import left.
 */
async function emptyPostgresDatabase(name: string): Promise<void> {
  await admin.query(`alter database ${name} reset all`)
  // Sessions a test left open (a child it killed, a handle it kept): none holds a lock, nor outlives it.
  for (;;) {
    const {rows} = await admin.query<{pid: number}>(
      'select pid, pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [name],
    )
    if (rows.length === 0) break
  }
  const db = knexFactory({client: 'pg', connection: databaseUrl(name), pool: {min: 0, max: 1}})
  try {
    const {rows} = await db.raw<{rows: {name: string}[]}>(
      `select nspname as name from pg_namespace where nspname not like 'pg\\_%' and nspname <> 'information_schema'`,
    )
    const schemas = rows.map((row) => `"${row.name.replaceAll('"', '""')}"`).join(', ')
    await db.raw(
      `${schemas === '' ? '' : `drop schema ${schemas} cascade;`}
       create schema public authorization pg_database_owner;
       grant usage on schema public to public;
       comment on schema public is 'standard public schema'`,
    )
  } finally {
    await db.destroy()
  }
}

/**
 * The databases a suite takes as it goes: each fresh() is an empty database of its own, and all
 * are dropped by dropAll() at the end. SQLite: a new file each. PostgreSQL: a database another
 * test of the suite has finished with, emptied as new (emptyPostgresDatabase), else a new one —
 * CREATE DATABASE costs far more than emptying one.
 */
export interface TestDatabases {
  fresh(): Promise<TestDatabase>
  dropAll(): Promise<void>
}

export function testDatabases(kind: DatabaseKind): TestDatabases {
  const taken: TestDatabase[] = []
  /** PostgreSQL databases made for this suite, and whether a test has one now. */
  const made: {name: string; busy: boolean}[] = []
  const take = async (): Promise<TestDatabase> => {
    if (kind === 'sqlite') return sqliteDatabase()
    let entry = made.find((candidate) => !candidate.busy)
    if (entry) {
      entry.busy = true
      await emptyPostgresDatabase(entry.name)
    } else {
      entry = {name: '', busy: true}
      made.push(entry)
      entry.name = await createPostgresDatabase()
    }
    const free = entry
    return postgresDatabase(free.name, async () => {
      free.busy = false
    })
  }
  return {
    async fresh() {
      const database = await take()
      taken.push(database)
      // Imported here, in a test: the benchmark takes its databases from this module too, without vitest.
      const {onTestFinished} = await import('vitest')
      try {
        // Given back once the test is over, for the suite's next test.
        onTestFinished(() => database.drop())
      } catch {
        // Taken outside a test (beforeAll): kept until dropAll().
      }
      return database
    },
    async dropAll() {
      await Promise.all(taken.splice(0).map((database) => database.drop()))
      await Promise.all(made.splice(0).map((entry) => dropPostgresDatabase(entry.name)))
    },
  }
}
