import {createHash} from 'node:crypto'

import type BetterSqlite3 from 'better-sqlite3'
import type pg from 'pg'

import type {Dialect} from './target.js'
import {dashedUuid, fromDatabaseValue, toDatabaseValue} from './encodings.js'
import {newRowId} from './rowId.js'
import {insertedColumns, ownedColumns, type Column, type ColumnKind, type OwnedValues, type TableSpec} from './tables.js'

/**
 * The import's hot path — look up a batch by Stokt id, insert the new rows, update the changed
 * ones — on the driver's own connection, inside the knex transaction. knex's query builder costs
 * more than the database itself here: SQLite gets cached prepared statements,
 * PostgreSQL one statement per table and batch whose rows travel as one JSON parameter, which
 * also keeps any batch size clear of the 65,535-parameter limit.
 */
export type StoktKey = string | number

/**
 * A row the lookup found. `values`: the stored values in canonical form, to compare; undefined
 * when the row is stored exactly as the import would write it, which is a re-run's every row.
 */
export interface ExistingRow {
  id: string | number
  values?: OwnedValues
}

/** What a lookup is given: each row's Stokt id and the values it would be written with. */
export type SoughtRow = Pick<NewRow, 'stoktId' | 'values'>

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
  /** The rows of these Stokt ids that exist, keyed by `String(stoktId)`. */
  find(connection: unknown, spec: TableSpec, rows: readonly SoughtRow[]): Promise<Map<string, ExistingRow>>
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
  return {id: rowIdOf(spec, row), values}
}

function rowIdOf(spec: TableSpec, row: readonly unknown[]): string | number {
  return spec.id === 'uuid' ? dashedUuid(String(row[0])) : Number(row[0])
}

/**
 * SQLite: the stored row (findColumns order) holds exactly what writing `values` would store, so
 * that nothing is decoded. Any difference, even one of encoding only, leaves the canonical
 * comparison to judge.
 */
function storedAsWritten(spec: TableSpec, row: readonly unknown[], values: OwnedValues): boolean {
  const columns = ownedColumns(spec)
  for (let index = 0; index < columns.length; index++) {
    const {name, kind} = columns[index]
    if (row[index + 2] !== toDatabaseValue('sqlite', kind, values[name])) return false
  }
  return true
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

  async find(connection: unknown, spec: TableSpec, rows: readonly SoughtRow[]) {
    const found = new Map<string, ExistingRow>()
    if (rows.length === 0) return found
    // One statement for any number of ids: the ids travel as one JSON array.
    const statement = this.prepare(
      connection,
      `select ${findColumns(spec)} from ${quote(spec.table)} where stokt_id in (select value from json_each(?))`,
    )
    // A Stokt id sought twice (with values that may differ) gets the whole comparison: undefined.
    const sought = new Map<unknown, OwnedValues | undefined>()
    for (const {stoktId, values} of rows) {
      const key = toDatabaseValue('sqlite', spec.stoktId, stoktId)
      sought.set(key, sought.has(key) ? undefined : values)
    }
    for (const row of statement.raw(true).all(JSON.stringify([...sought.keys()])) as unknown[][]) {
      const values = sought.get(row[1])
      const asWritten = values !== undefined && storedAsWritten(spec, row, values)
      found.set(stoktKeyOf(spec, row[1]), asWritten ? {id: rowIdOf(spec, row)} : existingRow(spec, row))
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

  /**
   * The server compares: each row comes back as its id and whether it is stored exactly as the
   * import would write it (the values cast as an insert casts them). Only the others are read whole
   * and decoded, so that a re-run costs the client next to nothing per row.
   */
  async find(connection: unknown, spec: TableSpec, sought: readonly SoughtRow[]) {
    const found = new Map<string, ExistingRow>()
    if (sought.length === 0) return found
    const columns = ownedColumns(spec)
    const stoktIdType = this.typeOf(spec, {name: 'stokt_id', kind: spec.stoktId})
    const compared = sought.map(({stoktId, values}) => {
      const row: unknown[] = [stoktId]
      for (const {name, kind} of columns) row.push(toDatabaseValue('postgres', kind, values[name]))
      return row
    })
    const sameAsStored = columns.map((column, index) => this.storedIs(spec, column, `row->>${index + 1}`)).join(' and ')
    const {rows} = await query<unknown[]>(
      connection,
      `select target.id, target.stokt_id, ${sameAsStored || 'true'}
       from jsonb_array_elements($1::jsonb) as row join ${quote(spec.table)} as target on target.stokt_id = (row->>0)::${stoktIdType}`,
      [JSON.stringify(compared)],
      'array',
    )
    const differing: unknown[] = []
    for (const row of rows) {
      if (row[2] === true) found.set(stoktKeyOf(spec, row[1]), {id: rowIdOf(spec, row)})
      else differing.push(row[1])
    }
    if (differing.length === 0) return found
    const whole = await query<unknown[]>(
      connection,
      `select ${findColumns(spec)} from ${quote(spec.table)} where stokt_id = any($1::${stoktIdType}[])`,
      [differing],
      'array',
    )
    for (const row of whole.rows) found.set(stoktKeyOf(spec, row[1]), existingRow(spec, row))
    return found
  }

  /** SQL: the stored column holds what writing the JSON text `text` into it would store. */
  private storedIs(spec: TableSpec, column: Column, text: string): string {
    const type = this.typeOf(spec, column)
    // `json` keeps its input text as given and has no equality: the text is what an insert stores.
    if (type === 'json') return `target.${quote(column.name)}::text is not distinct from (${text})`
    return `target.${quote(column.name)} is not distinct from (${text})::${type}`
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
async function query<Row = Record<string, unknown>>(
  connection: unknown,
  text: string,
  values: unknown[],
  rowMode?: 'array',
): Promise<pg.QueryResult<Row & pg.QueryResultRow>> {
  return (connection as pg.Client).query({text, values, ...(rowMode ? {rowMode} : {})})
}

/** Inserts have no plan to go stale: a named (server-side prepared) statement, parsed once per connection. */
async function preparedQuery(connection: unknown, text: string, values: unknown[]): Promise<pg.QueryResult<Record<string, unknown>>> {
  const name = `mastoc_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`
  return (connection as pg.Client).query({name, text, values})
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}
