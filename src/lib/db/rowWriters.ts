/**
 * The import's hot path — look up a batch by Stokt id, insert the new rows, update the changed
 * ones — on the driver's own connection, inside the knex transaction: knex's query builder costs
 * more than the database itself here. What a row writer does, and which one a database gets
 * (sqliteRowWriter.ts, postgresRowWriter.ts).
 */
import type {Dialect} from './target.js'
import type {Column, OwnedValues, TableSpec} from './tables.js'
import {PostgresRowWriter} from './postgresRowWriter.js'
import {SqliteRowWriter} from './sqliteRowWriter.js'

export type StoktKey = string | number

/** A row the lookup found; `values` (canonical, to compare) undefined when stored exactly as the import would write it. */
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
  /** The row stored for each sought row, in their order; undefined where none is. */
  find(connection: unknown, spec: TableSpec, rows: readonly SoughtRow[]): Promise<(ExistingRow | undefined)[]>
  insert(connection: unknown, spec: TableSpec, rows: readonly NewRow[], now: string): Promise<void>
  update(connection: unknown, spec: TableSpec, rows: readonly ChangedRow[], now: string): Promise<void>
}

/** A column's PostgreSQL type as the database has it (`timestamp`, `int4`…), what a value is cast to; undefined: the server's. */
export type PostgresTypeOf = (spec: TableSpec, column: Column) => string | undefined

/** The row writer of a database of this dialect. */
export function rowWriterFor(dialect: Dialect, postgresTypeOf: PostgresTypeOf = () => undefined): RowWriter {
  return dialect === 'sqlite' ? new SqliteRowWriter() : new PostgresRowWriter(postgresTypeOf)
}
