/** The row writer on PostgreSQL: one statement per table and batch, its rows one JSON parameter (no 65,535-parameter limit). */
import {createHash} from 'node:crypto'

import type pg from 'pg'

import {existingRow, findColumns, insertValues, quote, stoktKeyOf, updateColumns, updateValues} from './rowValues.js'
import type {ChangedRow, ExistingRow, NewRow, PostgresTypeOf, RowWriter, SoughtRow} from './rowWriters.js'
import {insertedColumns, type Column, type ColumnKind, type TableSpec} from './tables.js'

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

export class PostgresRowWriter implements RowWriter {
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
   * The rows whole, compared by the client. Comparing in the server instead (the batch as one JSON
   * parameter, each value cast as an insert casts it, only ids back) took longer: docs/performance.md.
   */
  async find(connection: unknown, spec: TableSpec, sought: readonly SoughtRow[]) {
    const found = new Map<string, ExistingRow>()
    if (sought.length === 0) return found
    const {rows} = await query<unknown[]>(
      connection,
      `select ${findColumns(spec)} from ${quote(spec.table)} where stokt_id = any($1::${this.typeOf(spec, {name: 'stokt_id', kind: spec.stoktId})}[])`,
      [sought.map((row) => row.stoktId)],
      'array',
    )
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
   * `(row->>0)::uuid, (row->>1)::varchar, …`: a batch travels as one JSON array of row arrays (cheaper
   * for the client than an array per column), cast back on the server; instants keep their UTC time.
   */
  private castsFromJson(spec: TableSpec, columns: readonly Column[]): string {
    return columns.map((column, index) => `(row->>${index})::${this.typeOf(spec, column)} as ${quote(column.name)}`).join(', ')
  }
}

/** Planned afresh each time: a generic plan cached while the tables were empty scans them whole for every batch. */
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
