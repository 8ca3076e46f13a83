import {randomBytes} from 'node:crypto'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import knexFactory, {type Knex} from 'knex'

import {openDatabase} from '../../src/lib/db/connection.js'
import {parseDatabaseTarget} from '../../src/lib/db/target.js'

/**
 * Databases for tests: a fresh SQLite file or a fresh PostgreSQL database each. PostgreSQL suites
 * run when the server answers; CI sets MASTOC_TEST_POSTGRES=required so that a missing server fails.
 */
export type DatabaseKind = 'sqlite' | 'postgres'

export const DATABASE_KINDS: DatabaseKind[] = ['sqlite', 'postgres']

const ADMIN_URL = process.env.MASTOC_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const REQUIRED = process.env.MASTOC_TEST_POSTGRES === 'required'

async function probePostgres(): Promise<boolean> {
  const admin = knexFactory({client: 'pg', connection: ADMIN_URL, pool: {min: 0, max: 1}, acquireConnectionTimeout: 3000})
  try {
    await admin.raw('select 1')
    return true
  } catch (error) {
    if (REQUIRED)
      throw new Error(`PostgreSQL is required (MASTOC_TEST_POSTGRES=required) but ${ADMIN_URL} did not answer: ${(error as Error).message}`)
    console.warn(`\n[notice] PostgreSQL at ${ADMIN_URL} is not reachable: the PostgreSQL suites are SKIPPED.\n`)
    return false
  } finally {
    await admin.destroy()
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
  let handle: Knex | undefined
  const open = (url: string) => (handle ??= openDatabase(parseDatabaseTarget(url)))
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'mastoc-test-'))
    const url = join(dir, 'mastoc.db')
    return {
      kind,
      url,
      knex: () => open(url),
      async drop() {
        await handle?.destroy()
        rmSync(dir, {recursive: true, force: true})
      },
    }
  }
  const name = `mastoc_test_${randomBytes(6).toString('hex')}`
  const admin = knexFactory({client: 'pg', connection: ADMIN_URL, pool: {min: 0, max: 1}})
  await admin.raw(`create database ${name}`)
  await admin.destroy()
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return {
    kind,
    url: url.toString(),
    knex: () => open(url.toString()),
    async drop() {
      await handle?.destroy()
      const cleanup = knexFactory({client: 'pg', connection: ADMIN_URL, pool: {min: 0, max: 1}})
      await cleanup.raw(`drop database if exists ${name} with (force)`)
      await cleanup.destroy()
    },
  }
}

/** The databases a suite makes as it goes: each test takes a fresh one, and all are dropped at the end. */
export interface TestDatabases {
  fresh(): Promise<TestDatabase>
  dropAll(): Promise<void>
}

export function testDatabases(kind: DatabaseKind): TestDatabases {
  const databases: TestDatabase[] = []
  return {
    async fresh() {
      const database = await createTestDatabase(kind)
      databases.push(database)
      return database
    },
    async dropAll() {
      await Promise.all(databases.splice(0).map((database) => database.drop()))
    },
  }
}
