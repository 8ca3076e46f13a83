/**
 * The floors an import is compared with: what the network and the databases allow at best, measured
 * on the same gym in the same run.
 * - fetch: plain fetch + JSON.parse of the same pages from the same server (fetchFloor.ts).
 * - fetch, importer's client: the importer's StoktClient fetching the same pages at concurrency 4,
 *   no validation, no writes (clientFetch.ts): the bound of a re-run, which fetches everything again.
 * - insert, SQLite: the same rows with better-sqlite3 prepared statements, one transaction.
 * - insert, PostgreSQL: the same rows with `COPY … FROM STDIN` (pg-copy-streams), one transaction.
 * The databases are fresh and migrated by the project's migrations (migrateToLatest), as an import
 * migrates its own; migrating is not timed. The rows are the import's, in each database's encodings (rows.ts).
 */
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {fileURLToPath} from 'node:url'

import Database from 'better-sqlite3'
import pg from 'pg'
import {from as copyFrom} from 'pg-copy-streams'

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
}

/** What clientFetch.ts prints: the fetch floor's timings and counts. */
export type ClientFetch = FetchFloor

const FETCH_FLOOR_SCRIPT = fileURLToPath(new URL('./fetchFloor.ts', import.meta.url))
const CLIENT_FETCH_SCRIPT = fileURLToPath(new URL('./clientFetch.ts', import.meta.url))

export function measureFetchFloor(stoktUrl: string, gymId: string): Promise<FetchFloor> {
  return runFetchScript('fetch floor', FETCH_FLOOR_SCRIPT, stoktUrl, gymId)
}

/** The same walk through node:http: what the cheapest HTTP client costs (reported beside the floor, not a goal's). */
export function measureHttpFetchFloor(stoktUrl: string, gymId: string): Promise<FetchFloor> {
  return runFetchScript('fetch floor, node:http', FETCH_FLOOR_SCRIPT, stoktUrl, gymId, ['--http'])
}

export function measureClientFetch(stoktUrl: string, gymId: string): Promise<ClientFetch> {
  return runFetchScript("fetch, importer's client", CLIENT_FETCH_SCRIPT, stoktUrl, gymId)
}

async function runFetchScript(
  name: string,
  script: string,
  stoktUrl: string,
  gymId: string,
  extraArgs: string[] = [],
): Promise<FetchFloor> {
  const run = await runNode(['--import', 'tsx', script, stoktUrl, gymId, ...extraArgs], cliEnv(true))
  if (run.exitCode !== 0) throw new Error(`${name} exited ${run.exitCode}: ${run.stderr.trim().slice(-400)}`)
  return JSON.parse(run.stdout) as FetchFloor
}

export async function measureInsertFloor(kind: DatabaseKind, tables: readonly TableRows[]): Promise<InsertFloor> {
  return withScratchDatabase(kind, async (database) => {
    await migrateToLatest(database.knex())
    return kind === 'sqlite' ? insertWithSqlite(database.url, tables) : await copyIntoPostgres(database.url, tables)
  })
}

function insertWithSqlite(file: string, tables: readonly TableRows[]): InsertFloor {
  const db = new Database(file)
  try {
    // The importer's connection settings (src/lib/db/connection.ts).
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    const timings: InsertFloor['tables'] = {}
    const started = performance.now()
    db.transaction(() => {
      for (const {table, columns, rows} of tables) {
        const tableStarted = performance.now()
        const insert = db.prepare(`insert into ${table} (${columns.join(', ')}) values (${columns.map(() => '?').join(', ')})`)
        for (const row of rows) insert.run(row)
        timings[table] = {rows: rows.length, ms: performance.now() - tableStarted}
      }
    })()
    return {totalMs: performance.now() - started, tables: timings}
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
    return {totalMs: performance.now() - started, tables: timings}
  } finally {
    await client.end()
  }
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
