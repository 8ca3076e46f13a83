/**
 * How the importer could write a batch to PostgreSQL (issue #4: "multi-row upserts sized under
 * 65,535 parameters against COPY into a temporary table + merge; keep the faster"). The insert
 * floor's rows, in batches of --batch-size rows per table, each batch its own transaction, every
 * statement an upsert (`on conflict (stokt_id) do update`), four ways:
 * - values: multi-row `insert … values (…), (…)`, chunked under the parameter limit;
 * - unnest: `insert … select * from unnest($1::type[], …)`, one array parameter per column;
 * - json: the whole batch as one JSON parameter, `insert … select (row->>0)::type, … from jsonb_array_elements($1::jsonb) as row`,
 *   the importer's statement shape: one native JSON.stringify instead of the driver escaping every array element in JS;
 * - copy: `COPY` into a temporary table, then `insert … select … from` it.
 * The rows and columns are a first import's (rows.ts), in PostgreSQL's encodings, into the server's
 * tables as the project's migrations make them. Each is timed on the empty tables of a freshly
 * migrated database (a first import), then again with the same rows over the ones it just wrote (a
 * re-import: every row conflicts and its Stokt columns and stamps are rewritten).
 * Each pass records its wall time and this process's CPU time: the server works in its own process,
 * overlapped, so an import waits on the client's CPU, which wall time alone does not show.
 * Only the writes: the importer's lookups and change detection are not part of it.
 */
import {createHash} from 'node:crypto'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import pg from 'pg'
import {from as copyFrom} from 'pg-copy-streams'

import {migrateToLatest} from '../../src/lib/db/migrate.js'
import {ownedColumns} from '../../src/lib/db/tables.js'
import {csvChunks} from './floors.js'
import type {TableName, TableRows, Value} from './rows.js'
import {withScratchDatabase} from './scratch.js'

export const BATCH_WRITE_STRATEGIES = ['values', 'unnest', 'json', 'copy'] as const
export type BatchWriteStrategy = (typeof BATCH_WRITE_STRATEGIES)[number]
/** How PostgresRowWriter (src/lib/db/postgresRowWriter.ts) writes its batches. */
export const IMPORTER_BATCH_WRITE: BatchWriteStrategy = 'json'

export interface BatchWritePass {
  totalMs: number
  /** This process's CPU time over the pass (user + system): the driver's encoding and parsing. */
  clientCpuMs: number
  /** Per table: rows and the time of its batches, commits included. */
  tables: Record<string, {rows: number; ms: number}>
}

export interface BatchWrite {
  /** First import: into empty tables. */
  empty: BatchWritePass
  /** Re-import: the same rows again, all already there. */
  existing: BatchWritePass
}

/** Bind parameters per statement: the protocol counts them in 16 bits. */
const MAX_PARAMETERS = 65_535

const TABLES: readonly TableName[] = ['gyms', 'faces', 'holds', 'users', 'climbs']

/** Writes one batch inside the open transaction; returns the rows inserted or updated. */
type WriteBatch = (table: TableRows, batch: Value[][]) => Promise<number>

export async function measureBatchWrite(
  strategy: BatchWriteStrategy,
  tables: readonly TableRows[],
  batchSize: number,
): Promise<BatchWrite> {
  return withScratchDatabase('postgres', async (database) => {
    await migrateToLatest(database.knex())
    const client = new pg.Client({connectionString: database.url})
    await client.connect()
    try {
      await client.query("SET TIME ZONE 'UTC'")
      const writeBatch = await batchWriter(strategy, client)
      const empty = await writeAll(client, writeBatch, tables, batchSize)
      const existing = await writeAll(client, writeBatch, tables, batchSize)
      return {empty, existing}
    } finally {
      await client.end()
    }
  })
}

async function writeAll(
  client: pg.Client,
  writeBatch: WriteBatch,
  tables: readonly TableRows[],
  batchSize: number,
): Promise<BatchWritePass> {
  const timings: BatchWritePass['tables'] = {}
  const started = performance.now()
  const cpuStarted = process.cpuUsage()
  for (const table of tables) {
    const tableStarted = performance.now()
    let written = 0
    for (let start = 0; start < table.rows.length; start += batchSize) {
      await client.query('BEGIN')
      written += await writeBatch(table, table.rows.slice(start, start + batchSize))
      await client.query('COMMIT')
    }
    // An upsert counts each row it inserted or updated: anything else is a strategy that lost rows.
    if (written !== table.rows.length) throw new Error(`${table.table}: ${written} rows written, expected ${table.rows.length}`)
    timings[table.table] = {rows: table.rows.length, ms: performance.now() - tableStarted}
  }
  const cpu = process.cpuUsage(cpuStarted)
  return {totalMs: performance.now() - started, clientCpuMs: (cpu.user + cpu.system) / 1000, tables: timings}
}

async function batchWriter(strategy: BatchWriteStrategy, client: pg.Client): Promise<WriteBatch> {
  const statements = new PreparedStatements(client)
  switch (strategy) {
    case 'values':
      return async (tableRows, batch) => {
        const {table, columns} = tableRows
        const rowsPerStatement = Math.floor(MAX_PARAMETERS / columns.length)
        let written = 0
        for (let start = 0; start < batch.length; start += rowsPerStatement) {
          const chunk = batch.slice(start, start + rowsPerStatement)
          const text = () => {
            const tuples = chunk.map((_, row) => `(${columns.map((_, column) => `$${row * columns.length + column + 1}`).join(', ')})`)
            return `insert into ${table} (${columns.join(', ')}) values ${tuples.join(', ')} ${upsertClause(tableRows)}`
          }
          written += await statements.run(`values ${table} ${chunk.length}`, text, chunk.flat())
        }
        return written
      }
    case 'unnest': {
      const types = await columnTypes(client) // what the importer knows from its table specs: not timed
      return async (tableRows, batch) => {
        const {table, columns} = tableRows
        const text = () => {
          const parameters = columns.map((column, index) => `$${index + 1}::${types.get(`${table}.${column}`)}[]`)
          return `insert into ${table} (${columns.join(', ')}) select * from unnest(${parameters.join(', ')}) ${upsertClause(tableRows)}`
        }
        return statements.run(
          `unnest ${table}`,
          text,
          columns.map((_, index) => batch.map((row) => row[index])),
        )
      }
    }
    case 'json': {
      const types = await columnTypes(client)
      return async (tableRows, batch) => {
        const {table, columns} = tableRows
        const text = () => {
          const casts = columns.map((column, index) => `(row->>${index})::${types.get(`${table}.${column}`)}`)
          return `insert into ${table} (${columns.join(', ')}) select ${casts.join(', ')} from jsonb_array_elements($1::jsonb) as row ${upsertClause(tableRows)}`
        }
        return statements.run(`json ${table}`, text, [JSON.stringify(batch)])
      }
    }
    case 'copy': {
      const staged = new Set<string>()
      return async (tableRows, batch) => {
        const {table, columns} = tableRows
        const staging = `staging_${table}`
        if (!staged.has(table)) {
          // Once per connection (timed: the importer would pay it too); emptied by every commit.
          await client.query(
            `create temporary table ${staging} on commit delete rows as select ${columns.join(', ')} from ${table} with no data`,
          )
          staged.add(table)
        }
        await pipeline(
          Readable.from(csvChunks(batch)),
          client.query(copyFrom(`COPY ${staging} (${columns.join(', ')}) FROM STDIN WITH (FORMAT csv)`)),
        )
        const text = () =>
          `insert into ${table} (${columns.join(', ')}) select ${columns.join(', ')} from ${staging} ${upsertClause(tableRows)}`
        return statements.run(`copy ${table}`, text, [])
      }
    }
  }
}

/**
 * What a re-import overwrites, as the importer's updates do (tables.ts): the Stokt columns, the
 * stamps of every write from the row, and those of a change only (users.updated_at), which an
 * insert leaves NULL and so no row carries, with the statement's instant (the session is in UTC).
 */
function upsertClause({spec}: TableRows): string {
  const assignments = [
    ...[...ownedColumns(spec).map(({name}) => name), ...spec.stampOnWrite].map((column) => `${column} = excluded.${column}`),
    ...spec.stampOnUpdate.map((column) => `${column} = localtimestamp`),
  ]
  return `on conflict (stokt_id) do update set ${assignments.join(', ')}`
}

/**
 * Named (server-side prepared) statements, parsed once per connection like the importer's inserts;
 * their text is built once too (a 1,000-row VALUES list is ~100 kB).
 */
class PreparedStatements {
  private readonly byKey = new Map<string, {name: string; text: string}>()

  constructor(private readonly client: pg.Client) {}

  async run(key: string, text: () => string, values: unknown[]): Promise<number> {
    let statement = this.byKey.get(key)
    if (!statement) {
      const sql = text()
      statement = {name: `bench_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`, text: sql}
      this.byKey.set(key, statement)
    }
    return (await this.client.query({...statement, values})).rowCount ?? 0
  }
}

/** `table.column` → its type, for the unnest casts. */
async function columnTypes(client: pg.Client): Promise<Map<string, string>> {
  const {rows} = await client.query<{table_name: string; column_name: string; data_type: string}>(
    'select table_name, column_name, data_type from information_schema.columns where table_schema = current_schema() and table_name = any($1)',
    [TABLES],
  )
  return new Map(rows.map((row) => [`${row.table_name}.${row.column_name}`, row.data_type]))
}
