import {createHash} from 'node:crypto'

import type BetterSqlite3 from 'better-sqlite3'
import type pg from 'pg'

import {toCanonicalInstant} from '../import/instant.js'
import type {Dialect} from './connection.js'
import {newRowId} from './rowId.js'
import {ownedColumns, type Column, type ColumnKind, type TableSpec} from './tables.js'

/**
 * The import's hot path — look up a batch by Stokt id, insert the new rows, update the changed
 * ones — on the driver's own connection, inside the knex transaction. knex's query builder costs
 * more than the database itself here (stack-notes.md): SQLite gets cached prepared statements,
 * PostgreSQL one statement per table and batch whose rows travel as one JSON parameter, which
 * also keeps any batch size clear of the 65,535-parameter limit.
 */
export type StoktKey = string | number

/** A row as the importer compares it: Stokt-owned columns in canonical JS values. */
export type OwnedValues = Record<string, unknown>

export interface ExistingRow {
  id: string | number
  values: OwnedValues
}

export interface NewRow {
  id?: string
  stoktId: StoktKey
  values: OwnedValues
}

export interface ChangedRow {
  id: string | number
  values: OwnedValues
}

export interface RowWriter {
  /** At the start of a transaction: see SqliteRowWriter.lockForWriting. */
  lockForWriting(connection: unknown): void
  find(connection: unknown, spec: TableSpec, stoktIds: readonly StoktKey[]): Promise<Map<string, ExistingRow>>
  insert(connection: unknown, spec: TableSpec, rows: readonly NewRow[], now: string): Promise<void>
  update(connection: unknown, spec: TableSpec, rows: readonly ChangedRow[], now: string): Promise<void>
}

export function rowWriterFor(dialect: Dialect): RowWriter {
  return dialect === 'sqlite' ? new SqliteRowWriter() : new PostgresRowWriter()
}

/** Every column a new row is written with, in one order: id, stokt_id, the owned ones, bookkeeping. */
function insertColumns(spec: TableSpec): Column[] {
  return [
    ...(spec.id === 'uuid' ? [{name: 'id', kind: 'uuid' as const}] : []),
    {name: 'stokt_id', kind: spec.stoktId},
    ...ownedColumns(spec),
    ...(spec.source ? [{name: 'source', kind: 'text' as const}] : []),
    ...('created_at' in spec.columns ? [] : [{name: 'created_at', kind: 'instant' as const}]),
    {name: 'updated_at', kind: 'instant'},
    ...(spec.syncedAt ? [{name: 'synced_at', kind: 'instant' as const}] : []),
  ]
}

/** The values of a new row, in insertColumns order. */
function insertValues(spec: TableSpec, row: NewRow, now: string, dialect: Dialect): unknown[] {
  const values: unknown[] = []
  if (spec.id === 'uuid') values.push(row.id ?? newRowId())
  values.push(row.stoktId)
  for (const {name, kind} of ownedColumns(spec)) values.push(toDatabaseValue(dialect, kind, row.values[name]))
  if (spec.source) values.push('stokt')
  if (!('created_at' in spec.columns)) values.push(now)
  values.push(now)
  if (spec.syncedAt) values.push(now)
  return values
}

/** The update's SET values, in ownedColumns order, then the write stamps. */
function updateValues(spec: TableSpec, row: ChangedRow, now: string, dialect: Dialect): unknown[] {
  const values = ownedColumns(spec).map(({name, kind}) => toDatabaseValue(dialect, kind, row.values[name]))
  values.push(now)
  if (spec.syncedAt) values.push(now)
  return values
}

function stampColumns(spec: TableSpec): string[] {
  return ['updated_at', ...(spec.syncedAt ? ['synced_at'] : [])]
}

/** The lookup's columns: id, stokt_id, then the owned ones in ownedColumns order (rows come back as arrays). */
function findColumns(spec: TableSpec): string {
  return ['id', 'stokt_id', ...ownedColumns(spec).map((column) => column.name)].map(quote).join(', ')
}

/** A row of the lookup, as an array in findColumns order: arrays cost a third of what row objects do. */
function existingRow(spec: TableSpec, row: readonly unknown[]): ExistingRow {
  const values: OwnedValues = {}
  const columns = ownedColumns(spec)
  for (let index = 0; index < columns.length; index++) {
    const {name, kind} = columns[index]
    values[name] = fromDatabaseValue(kind, row[index + 2])
  }
  return {id: row[0] as string | number, values}
}

/** How each driver takes a value: better-sqlite3 refuses booleans; JSON goes as text to both. */
export function toDatabaseValue(dialect: Dialect, kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (kind === 'boolean') return dialect === 'sqlite' ? (value ? 1 : 0) : Boolean(value)
  if (kind === 'json') return JSON.stringify(value)
  return value
}

/** A stored value back in the canonical form the importer compares. */
export function fromDatabaseValue(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null
  switch (kind) {
    case 'boolean':
      return Boolean(value)
    case 'json':
      return typeof value === 'string' ? JSON.parse(value) : value
    case 'instant':
      return toCanonicalInstant(String(value)) ?? String(value)
    case 'integer':
    case 'real':
      return Number(value)
    default:
      return value
  }
}

class SqliteRowWriter implements RowWriter {
  /** Prepared statements per connection: preparing is a third of a naive import's time. */
  private readonly statements = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>()

  /**
   * The transaction takes the database's write lock as it begins, as BEGIN IMMEDIATE would (knex
   * only says BEGIN): a write that matches no row takes it. A transaction that read first and wrote
   * after another connection's commit (another gym's import into the same file) would fail with
   * SQLITE_BUSY_SNAPSHOT, which no wait can cure; this way it waits its turn (busy_timeout).
   */
  lockForWriting(connection: unknown): void {
    this.prepare(connection, 'update import_runs set id = id where 0').run()
  }

  async find(connection: unknown, spec: TableSpec, stoktIds: readonly StoktKey[]) {
    const found = new Map<string, ExistingRow>()
    if (stoktIds.length === 0) return found
    // One statement for any number of ids: the ids travel as one JSON array.
    const statement = this.prepare(
      connection,
      `select ${findColumns(spec)} from ${quote(spec.table)} where stokt_id in (select value from json_each(?))`,
    )
    for (const row of statement.raw(true).all(JSON.stringify(stoktIds)) as unknown[][]) {
      found.set(String(row[1]), existingRow(spec, row))
    }
    return found
  }

  async insert(connection: unknown, spec: TableSpec, rows: readonly NewRow[], now: string) {
    if (rows.length === 0) return
    const columns = insertColumns(spec)
    const statement = this.prepare(
      connection,
      `insert into ${quote(spec.table)} (${columns.map((column) => quote(column.name)).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    )
    for (const row of rows) statement.run(insertValues(spec, row, now, 'sqlite'))
  }

  async update(connection: unknown, spec: TableSpec, rows: readonly ChangedRow[], now: string) {
    if (rows.length === 0) return
    const assignments = [...Object.keys(spec.columns), ...stampColumns(spec)].map((name) => `${quote(name)} = ?`)
    const statement = this.prepare(connection, `update ${quote(spec.table)} set ${assignments.join(', ')} where id = ?`)
    for (const row of rows) statement.run([...updateValues(spec, row, now, 'sqlite'), row.id])
  }

  private prepare(connection: unknown, sql: string): BetterSqlite3.Statement {
    const database = connection as BetterSqlite3.Database
    let cache = this.statements.get(database)
    if (!cache) this.statements.set(database, (cache = new Map()))
    let statement = cache.get(sql)
    if (!statement) cache.set(sql, (statement = database.prepare(sql)))
    return statement
  }
}

/** PostgreSQL types, for the casts out of a batch's JSON and the lookup's `= any` array. */
const PG_TYPES: Record<ColumnKind, string> = {
  text: 'text',
  uuid: 'uuid',
  integer: 'int8',
  real: 'float8',
  boolean: 'bool',
  json: 'jsonb',
  instant: 'timestamptz',
}

/**
 * `(row->>0)::uuid, (row->>1)::text, …`: a batch travels as one JSON array of row arrays, cast back
 * column by column on the server. One native JSON.stringify costs the client about half of what
 * the driver's escaping of one array per column did (the bench's "PostgreSQL batch writes"), and
 * the client's CPU is what the import waits on; the server, in its own process, has time to spare.
 */
function castsFromJson(columns: readonly Column[]): string {
  return columns.map((column, index) => `(row->>${index})::${PG_TYPES[column.kind]} as ${quote(column.name)}`).join(', ')
}

class PostgresRowWriter implements RowWriter {
  /** Rows are locked as they are written; a batch never meets a stale snapshot (READ COMMITTED). */
  lockForWriting(): void {}

  async find(connection: unknown, spec: TableSpec, stoktIds: readonly StoktKey[]) {
    const found = new Map<string, ExistingRow>()
    if (stoktIds.length === 0) return found
    const {rows} = await (connection as pg.Client).query<unknown[]>({
      text: `select ${findColumns(spec)} from ${quote(spec.table)} where stokt_id = any($1::${PG_TYPES[spec.stoktId]}[])`,
      values: [stoktIds],
      rowMode: 'array',
    })
    for (const row of rows) found.set(String(row[1]), existingRow(spec, row))
    return found
  }

  async insert(connection: unknown, spec: TableSpec, rows: readonly NewRow[], now: string) {
    if (rows.length === 0) return
    const columns = insertColumns(spec)
    const values = rows.map((row) => insertValues(spec, row, now, 'postgres'))
    await preparedQuery(
      connection,
      `insert into ${quote(spec.table)} (${columns.map((column) => quote(column.name)).join(', ')})
       select ${castsFromJson(columns)} from jsonb_array_elements($1::jsonb) as row`,
      [JSON.stringify(values)],
    )
  }

  async update(connection: unknown, spec: TableSpec, rows: readonly ChangedRow[], now: string) {
    if (rows.length === 0) return
    const columns: Column[] = [
      {name: 'id', kind: spec.id === 'uuid' ? 'uuid' : 'integer'},
      ...ownedColumns(spec),
      ...stampColumns(spec).map((name) => ({name, kind: 'instant' as const})),
    ]
    const values = rows.map((row) => [row.id, ...updateValues(spec, row, now, 'postgres')])
    const assignments = columns.slice(1).map((column) => `${quote(column.name)} = changed.${quote(column.name)}`)
    await query(
      connection,
      `update ${quote(spec.table)} as target set ${assignments.join(', ')}
       from (select ${castsFromJson(columns)} from jsonb_array_elements($1::jsonb) as row) as changed
       where target.id = changed.id`,
      [JSON.stringify(values)],
    )
  }
}

/**
 * Lookups and updates are planned afresh each time: the tables grow from nothing during an import,
 * and a cached generic plan made while they were empty scans them whole for every batch.
 */
async function query(connection: unknown, text: string, values: unknown[]): Promise<pg.QueryResult<Record<string, unknown>>> {
  return (connection as pg.Client).query({text, values})
}

/** Inserts have no plan to go stale: a named (server-side prepared) statement, parsed once per connection. */
async function preparedQuery(connection: unknown, text: string, values: unknown[]): Promise<pg.QueryResult<Record<string, unknown>>> {
  const name = `mastoc_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`
  return (connection as pg.Client).query({name, text, values})
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}
