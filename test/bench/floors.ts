/**
 * The floors an import is compared with: what the network and the databases allow at best, measured
 * on the same gym in the same run.
 * - fetch: plain fetch + JSON.parse of the same pages from the same server (fetchFloor.ts).
 * - the importer's source: its StoktClient fetching the same pages at concurrency 4, or its
 *   SnapshotSource reading the snapshot, without and with its validation and mapping to rows, no
 *   database (sourceRead.ts):
 *   what a re-run, which reads and checks everything again, cannot go below.
 * - insert, SQLite: the same rows with better-sqlite3 prepared statements, one transaction; and,
 *   for the batch-size curve, a transaction every N rows of each table: what SQLite's commits cost.
 * - insert, PostgreSQL: the same rows with `COPY … FROM STDIN` (pg-copy-streams), one transaction.
 * - read back: after the insert, every row of the same database looked up again by its Stokt id, a
 *   batch's worth at a time, as a re-run must before it can compare (no comparing).
 * The databases are fresh and migrated by the project's migrations (migrateToLatest), as an import
 * migrates its own; migrating is not timed. The rows are the import's, in each database's encodings (rows.ts).
 */
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {fileURLToPath} from 'node:url'

import Database from 'better-sqlite3'
import pg from 'pg'
import {from as copyFrom} from 'pg-copy-streams'

import {DEFAULT_BATCH_SIZE} from '../../src/flags.js'
import {WAL_CHECKPOINT_PAGES} from '../../src/lib/db/connection.js'
import {migrateToLatest} from '../../src/lib/db/migrate.js'
import type {DatabaseKind} from '../support/databases.js'
import {cliEnv, runNode} from './cli.js'
import type {TableRows, Value} from './rows.js'
import {withScratchDatabase} from './scratch.js'

export interface FetchFloor {
  setupsMs: number
  climbsMs: number
  totalMs: number
  /** The fetching process's CPU time (user + system) over the same span: what the HTTP client costs the importer's thread. */
  cpuMs: number
  holds: number
  climbs: number
  requests: number
}

export interface InsertFloor {
  totalMs: number
  /** Per table: rows and the time of its inserts (commit not included; it is in totalMs). */
  tables: Record<string, {rows: number; ms: number}>
  /**
   * Every row read again by Stokt id after the insert, READ_BACK_BATCH ids a query: wall time, and
   * the time the reading thread was busy (event-loop utilisation): not the database's own work, which
   * PostgreSQL does in its own process, nor V8's helper threads, which process.cpuUsage() would add.
   */
  readBackMs: number
  readBackBusyMs: number
}

/** What sourceRead.ts prints: the fetch floor's timings and counts, and the records its validation refused (none should be). */
export interface SourceRead extends FetchFloor {
  rejected: number
}

/** Ids a read-back query asks for: the importer's default batch size. */
const READ_BACK_BATCH = DEFAULT_BATCH_SIZE

const FETCH_FLOOR_SCRIPT = fileURLToPath(new URL('./fetchFloor.ts', import.meta.url))
const SOURCE_READ_SCRIPT = fileURLToPath(new URL('./sourceRead.ts', import.meta.url))

export function measureFetchFloor(stoktUrl: string, gymId: string): Promise<FetchFloor> {
  return runFetchScript('fetch floor', FETCH_FLOOR_SCRIPT, [stoktUrl, gymId])
}

/** The same walk through node:http: what the cheapest HTTP client costs (reported beside the floor, not a goal's). */
export function measureHttpFetchFloor(stoktUrl: string, gymId: string): Promise<FetchFloor> {
  return runFetchScript('fetch floor, node:http', FETCH_FLOOR_SCRIPT, [stoktUrl, gymId, '--http'])
}

/** The importer's StoktClient fetching the gym, with its validation and mapping or without. */
export function measureClientFetch(stoktUrl: string, gymId: string, validate: boolean): Promise<SourceRead> {
  return runFetchScript("fetch, importer's client", SOURCE_READ_SCRIPT, [stoktUrl, gymId, ...(validate ? ['--validate'] : [])])
}

/** The importer's SnapshotSource reading the snapshot, with its validation and mapping or without. */
export function measureSnapshotRead(snapshotDir: string, gymId: string, validate: boolean): Promise<SourceRead> {
  return runFetchScript('snapshot read', SOURCE_READ_SCRIPT, ['--snapshot', snapshotDir, gymId, ...(validate ? ['--validate'] : [])])
}

async function runFetchScript<T extends FetchFloor>(name: string, script: string, args: string[]): Promise<T> {
  const run = await runNode(['--import', 'tsx', script, ...args], cliEnv(true))
  if (run.exitCode !== 0) throw new Error(`${name} exited ${run.exitCode}: ${run.stderr.trim().slice(-400)}`)
  return JSON.parse(run.stdout) as T
}

export async function measureInsertFloor(kind: DatabaseKind, tables: readonly TableRows[]): Promise<InsertFloor> {
  return withScratchDatabase(kind, async (database) => {
    await migrateToLatest(database.knex())
    return kind === 'sqlite' ? await insertWithSqlite(database.url, tables) : await copyIntoPostgres(database.url, tables)
  })
}

/** The same bare insert into SQLite, a transaction every `rowsPerCommit` rows of each table: its total time. */
export async function measureSqliteCommitFloor(tables: readonly TableRows[], rowsPerCommit: number): Promise<number> {
  return withScratchDatabase('sqlite', async (database) => {
    await migrateToLatest(database.knex())
    const db = openAsTheImporter(database.url)
    // As the importer checkpoints: every WAL_CHECKPOINT_PAGES of WAL, and once at the end.
    db.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`)
    try {
      const started = performance.now()
      for (const {table, columns, rows} of tables) {
        const insert = prepareInsert(db, table, columns)
        const commitEvery = db.transaction((chunk: readonly Value[][]) => {
          for (const row of chunk) insert.run(row)
        })
        for (let start = 0; start < rows.length; start += rowsPerCommit) commitEvery(rows.slice(start, start + rowsPerCommit))
      }
      db.pragma('wal_checkpoint(PASSIVE)')
      return performance.now() - started
    } finally {
      db.close()
    }
  })
}

/** better-sqlite3 with the importer's connection settings (src/lib/db/connection.ts). */
function openAsTheImporter(file: string): Database.Database {
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  return db
}

function prepareInsert(db: Database.Database, table: string, columns: readonly string[]): Database.Statement {
  return db.prepare(`insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`)
}

async function insertWithSqlite(file: string, tables: readonly TableRows[]): Promise<InsertFloor> {
  const db = openAsTheImporter(file)
  try {
    const timings: InsertFloor['tables'] = {}
    const started = performance.now()
    db.transaction(() => {
      for (const {table, columns, rows} of tables) {
        const tableStarted = performance.now()
        const insert = prepareInsert(db, table, columns)
        for (const row of rows) insert.run(row)
        timings[table] = {rows: rows.length, ms: performance.now() - tableStarted}
      }
    })()
    const totalMs = performance.now() - started
    const readBack = timeReadBack(() => {
      for (const {table, columns, rows} of tables) {
        let found = 0
        for (const ids of idBatches(columns, rows)) {
          found += db
            .prepare(`select ${columns.join(', ')} from ${table} where stokt_id in (${ids.map(() => '?').join(', ')})`)
            .raw(true)
            .all(ids).length
        }
        checkReadBack(table, found, rows.length)
      }
    })
    return {totalMs, tables: timings, ...(await readBack)}
  } finally {
    db.close()
  }
}

async function copyIntoPostgres(url: string, tables: readonly TableRows[]): Promise<InsertFloor> {
  const client = new pg.Client({connectionString: url})
  await client.connect()
  try {
    await client.query("SET TIME ZONE 'UTC'")
    const timings: InsertFloor['tables'] = {}
    const started = performance.now()
    await client.query('BEGIN')
    for (const {table, columns, rows} of tables) {
      const tableStarted = performance.now()
      const copy = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`))
      // Encoding to CSV is part of the floor: any writer has to serialise its rows.
      await pipeline(Readable.from(csvChunks(rows)), copy)
      timings[table] = {rows: rows.length, ms: performance.now() - tableStarted}
    }
    await client.query('COMMIT')
    const totalMs = performance.now() - started
    const readBack = await timeReadBack(async () => {
      for (const {table, columns, rows} of tables) {
        const text = `select ${columns.join(', ')} from ${table} where stokt_id = any($1)`
        let found = 0
        for (const ids of idBatches(columns, rows))
          found += (await client.query({text, values: [ids], rowMode: 'array', types: AS_TEXT})).rowCount ?? 0
        checkReadBack(table, found, rows.length)
      }
    })
    return {totalMs, tables: timings, ...readBack}
  } finally {
    await client.end()
  }
}

/** The rows' Stokt ids, READ_BACK_BATCH at a time. */
function* idBatches(columns: readonly string[], rows: readonly Value[][]): Generator<Value[]> {
  const column = columns.indexOf('stokt_id')
  for (let start = 0; start < rows.length; start += READ_BACK_BATCH)
    yield rows.slice(start, start + READ_BACK_BATCH).map((row) => row[column])
}

/** Every column as the text PostgreSQL sends: the least a client can do with a row. */
const AS_TEXT = {getTypeParser: () => (text: string) => text} as unknown as pg.CustomTypesConfig

/** A read back that missed rows would make the floor look cheaper than it is. */
function checkReadBack(table: string, found: number, inserted: number): void {
  if (found !== inserted) throw new Error(`read back ${found} rows of ${table} by Stokt id, ${inserted} inserted`)
}

async function timeReadBack(read: () => unknown): Promise<{readBackMs: number; readBackBusyMs: number}> {
  const started = performance.now()
  const loopAtStart = performance.eventLoopUtilization()
  await read()
  return {readBackMs: performance.now() - started, readBackBusyMs: performance.eventLoopUtilization(loopAtStart).active}
}

/** CSV in chunks of rows: an unquoted empty field is NULL, a quoted one the empty string. */
export function* csvChunks(rows: readonly Value[][], rowsPerChunk = 500): Generator<string> {
  for (let start = 0; start < rows.length; start += rowsPerChunk) {
    let chunk = ''
    for (const row of rows.slice(start, start + rowsPerChunk)) chunk += `${row.map(csvField).join(',')}\n`
    yield chunk
  }
}

function csvField(value: Value): string {
  if (value === null) return ''
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  return `"${value.replaceAll('"', '""')}"`
}
