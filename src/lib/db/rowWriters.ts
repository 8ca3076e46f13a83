import {createHash} from 'node:crypto'

import type BetterSqlite3 from 'better-sqlite3'
import type pg from 'pg'

import type {Dialect} from './target.js'
import {dashedUuid, fromDatabaseValue, toDatabaseValue} from './encodings.js'
import {newRowId} from './rowId.js'
import {insertedColumns, ownedColumns, type Column, type ColumnKind, type TableSpec} from './tables.js'

/**
 * The import's hot path — look up a batch by Stokt id, insert the new rows, update the changed
 * ones — on the driver's own connection, inside the knex transaction. knex's query builder costs
 * more than the database itself here: SQLite gets cached prepared statements,
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
  /** A transaction on `connection`: see SqliteRowWriter.begin. */
  begin(connection: unknown): Promise<void>
  commit(connection: unknown): Promise<void>
  rollback(connection: unknown): Promise<void>
  /** A statement in the driver's own placeholders (knex's toNative()). */
  run(connection: unknown, sql: string, bindings: readonly unknown[]): Promise<void>
  find(connection: unknown, spec: TableSpec, stoktIds: readonly StoktKey[]): Promise<Map<string, ExistingRow>>
  insert(connection: unknown, spec: TableSpec, rows: readonly NewRow[], now: string): Promise<void>
  update(connection: unknown, spec: TableSpec, rows: readonly ChangedRow[], now: string): Promise<void>
}

/** A column's PostgreSQL type as the database has it (`timestamp`, `int4`…), what a value is cast to; undefined: the server's. */
export type PostgresTypeOf = (spec: TableSpec, column: Column) => string | undefined

export function rowWriterFor(dialect: Dialect, postgresTypeOf: PostgresTypeOf = () => undefined): RowWriter {
  return dialect === 'sqlite' ? new SqliteRowWriter() : new PostgresRowWriter(postgresTypeOf)
}

/** The values of a new row, in insertedColumns order, as the database takes them. */
function insertValues(spec: TableSpec, row: NewRow, now: string, dialect: Dialect): unknown[] {
  const values: unknown[] = []
  if (spec.id === 'uuid') values.push(toDatabaseValue(dialect, 'uuid', row.id ?? newRowId()))
  values.push(toDatabaseValue(dialect, spec.stoktId, row.stoktId))
  for (const {name, kind} of ownedColumns(spec)) values.push(toDatabaseValue(dialect, kind, row.values[name]))
  for (const name in spec.onCreate) {
    const {kind, value} = spec.onCreate[name]
    values.push(toDatabaseValue(dialect, kind, value === 'now' ? now : value))
  }
  for (let index = 0; index < spec.stampOnWrite.length; index++) values.push(toDatabaseValue(dialect, 'instant', now))
  return values
}

/** The columns an update sets: Stokt's, then the stamps. */
function updateColumns(spec: TableSpec): Column[] {
  return [...ownedColumns(spec), ...stampColumns(spec).map((name) => ({name, kind: 'instant' as const}))]
}

/** The update's SET values, in updateColumns order. */
function updateValues(spec: TableSpec, row: ChangedRow, now: string, dialect: Dialect): unknown[] {
  const values = ownedColumns(spec).map(({name, kind}) => toDatabaseValue(dialect, kind, row.values[name]))
  const stamp = toDatabaseValue(dialect, 'instant', now)
  for (let index = spec.stampOnWrite.length + spec.stampOnUpdate.length; index > 0; index--) values.push(stamp)
  return values
}

function stampColumns(spec: TableSpec): string[] {
  return [...spec.stampOnWrite, ...spec.stampOnUpdate]
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
  return {id: spec.id === 'uuid' ? dashedUuid(String(row[0])) : Number(row[0]), values}
}

/** A stored Stokt id as the key the import uses: the dashed UUID, or the number's text. */
function stoktKeyOf(spec: TableSpec, stored: unknown): string {
  return spec.stoktId === 'uuid' ? dashedUuid(String(stored)) : String(stored)
}

class SqliteRowWriter implements RowWriter {
  /** Prepared statements per connection: preparing is a third of a naive import's time. */
  private readonly statements = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>()

  /**
   * BEGIN IMMEDIATE: the transaction takes the database's write lock as it begins. One that read
   * first and wrote after another connection's commit (another gym's import into the same file)
   * would fail with SQLITE_BUSY_SNAPSHOT, which no wait can cure; this way it waits its turn
   * (sqliteBusy.ts).
   */
  async begin(connection: unknown) {
    this.prepare(connection, 'begin immediate').run()
  }

  async commit(connection: unknown) {
    this.prepare(connection, 'commit').run()
  }

  async rollback(connection: unknown) {
    const database = connection as BetterSqlite3.Database
    // SQLite may have rolled back already (SQLITE_FULL, an interrupted statement).
    if (database.inTransaction) this.prepare(connection, 'rollback').run()
  }

  async run(connection: unknown, sql: string, bindings: readonly unknown[]) {
    this.prepare(connection, sql).run(bindings as unknown[])
  }

  async find(connection: unknown, spec: TableSpec, stoktIds: readonly StoktKey[]) {
    const found = new Map<string, ExistingRow>()
    if (stoktIds.length === 0) return found
    // One statement for any number of ids: the ids travel as one JSON array.
    const statement = this.prepare(
      connection,
      `select ${findColumns(spec)} from ${quote(spec.table)} where stokt_id in (select value from json_each(?))`,
    )
    const keys = stoktIds.map((stoktId) => toDatabaseValue('sqlite', spec.stoktId, stoktId))
    for (const row of statement.raw(true).all(JSON.stringify(keys)) as unknown[][]) {
      found.set(stoktKeyOf(spec, row[1]), existingRow(spec, row))
    }
    return found
  }

  async insert(connection: unknown, spec: TableSpec, rows: readonly NewRow[], now: string) {
    if (rows.length === 0) return
    const columns = insertedColumns(spec)
    const statement = this.prepare(
      connection,
      `insert into ${quote(spec.table)} (${columns.map((column) => quote(column.name)).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    )
    for (const row of rows) statement.run(insertValues(spec, row, now, 'sqlite'))
  }

  async update(connection: unknown, spec: TableSpec, rows: readonly ChangedRow[], now: string) {
    if (rows.length === 0) return
    const assignments = updateColumns(spec).map(({name}) => `${quote(name)} = ?`)
    const statement = this.prepare(connection, `update ${quote(spec.table)} set ${assignments.join(', ')} where id = ?`)
    const idKind = spec.id === 'uuid' ? 'uuid' : 'integer'
    for (const row of rows) statement.run([...updateValues(spec, row, now, 'sqlite'), toDatabaseValue('sqlite', idKind, row.id)])
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

/** The mastoc server's PostgreSQL types, where the database says nothing else. */
const POSTGRES_TYPES: Record<ColumnKind, string> = {
  text: 'text',
  uuid: 'uuid',
  integer: 'int4',
  real: 'float8',
  boolean: 'bool',
  json: 'json',
  instant: 'timestamp',
}

class PostgresRowWriter implements RowWriter {
  constructor(private readonly liveType: PostgresTypeOf) {}

  private typeOf(spec: TableSpec, column: Column): string {
    return this.liveType(spec, column) ?? POSTGRES_TYPES[column.kind]
  }

  /** Rows are locked as they are written; a batch never meets a stale snapshot (READ COMMITTED). */
  async begin(connection: unknown) {
    await (connection as pg.Client).query('begin')
  }

  async commit(connection: unknown) {
    await (connection as pg.Client).query('commit')
  }

  async rollback(connection: unknown) {
    await (connection as pg.Client).query('rollback')
  }

  async run(connection: unknown, sql: string, bindings: readonly unknown[]) {
    await (connection as pg.Client).query(sql, bindings as unknown[])
  }

  async find(connection: unknown, spec: TableSpec, stoktIds: readonly StoktKey[]) {
    const found = new Map<string, ExistingRow>()
    if (stoktIds.length === 0) return found
    const {rows} = await (connection as pg.Client).query<unknown[]>({
      text: `select ${findColumns(spec)} from ${quote(spec.table)} where stokt_id = any($1::${this.typeOf(spec, {name: 'stokt_id', kind: spec.stoktId})}[])`,
      values: [stoktIds],
      rowMode: 'array',
    })
    for (const row of rows) found.set(stoktKeyOf(spec, row[1]), existingRow(spec, row))
    return found
  }

  async insert(connection: unknown, spec: TableSpec, rows: readonly NewRow[], now: string) {
    if (rows.length === 0) return
    const columns = insertedColumns(spec)
    const values = rows.map((row) => insertValues(spec, row, now, 'postgres'))
    await preparedQuery(
      connection,
      `insert into ${quote(spec.table)} (${columns.map((column) => quote(column.name)).join(', ')})
       select ${this.castsFromJson(spec, columns)} from jsonb_array_elements($1::jsonb) as row`,
      [JSON.stringify(values)],
    )
  }

  async update(connection: unknown, spec: TableSpec, rows: readonly ChangedRow[], now: string) {
    if (rows.length === 0) return
    const columns: Column[] = [{name: 'id', kind: spec.id === 'uuid' ? 'uuid' : 'integer'}, ...updateColumns(spec)]
    const values = rows.map((row) => [row.id, ...updateValues(spec, row, now, 'postgres')])
    const assignments = columns.slice(1).map((column) => `${quote(column.name)} = changed.${quote(column.name)}`)
    await query(
      connection,
      `update ${quote(spec.table)} as target set ${assignments.join(', ')}
       from (select ${this.castsFromJson(spec, columns)} from jsonb_array_elements($1::jsonb) as row) as changed
       where target.id = changed.id`,
      [JSON.stringify(values)],
    )
  }

  /**
   * `(row->>0)::uuid, (row->>1)::varchar, …`, each to the column's own type: a batch travels as one
   * JSON array of row arrays, cast back column by column on the server. One native JSON.stringify
   * costs the client about half of what the driver's escaping of one array per column did, and the
   * client's CPU is what the import waits on. A canonical instant cast to `timestamp` keeps its UTC
   * time whatever the session's time zone.
   */
  private castsFromJson(spec: TableSpec, columns: readonly Column[]): string {
    return columns.map((column, index) => `(row->>${index})::${this.typeOf(spec, column)} as ${quote(column.name)}`).join(', ')
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
