/** A row's columns and values as both row writers send them, and a looked-up row as they read it back. */
import type {Dialect} from './target.js'
import {dashedUuid, fromDatabaseValue, isStoredForm, toDatabaseValue} from './encodings.js'
import {newRowId} from './rowId.js'
import {ownedColumns, type Column, type OwnedValues, type TableSpec} from './tables.js'
import type {ChangedRow, ExistingRow, NewRow, SoughtRow} from './rowWriters.js'

/** The values of a new row, in insertedColumns order, as the database takes them. */
export function insertValues(spec: TableSpec, row: NewRow, now: string, dialect: Dialect): unknown[] {
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
export function updateColumns(spec: TableSpec): Column[] {
  return [...ownedColumns(spec), ...stampColumns(spec).map((name) => ({name, kind: 'instant' as const}))]
}

/** The update's SET values, in updateColumns order. */
export function updateValues(spec: TableSpec, row: ChangedRow, now: string, dialect: Dialect): unknown[] {
  const values = ownedColumns(spec).map(({name, kind}) => toDatabaseValue(dialect, kind, row.values[name]))
  const stamp = toDatabaseValue(dialect, 'instant', now)
  for (let index = spec.stampOnWrite.length + spec.stampOnUpdate.length; index > 0; index--) values.push(stamp)
  return values
}

export function stampColumns(spec: TableSpec): string[] {
  return [...spec.stampOnWrite, ...spec.stampOnUpdate]
}

/**
 * The lookup's columns, of the table aliased `stored`: the sought row's position (`position`, the
 * query's expression of it), id, then the owned ones in ownedColumns order. Rows come back as arrays:
 * they cost a third of what row objects do.
 */
export function foundColumns(spec: TableSpec, position: string): string {
  return [position, 'stored.id', ...ownedColumns(spec).map((column) => `stored.${quote(column.name)}`)].join(', ')
}

/** The stored columns foundColumns reads: id and the owned ones. */
export function storedColumns(spec: TableSpec): string {
  return ['id', ...ownedColumns(spec).map((column) => column.name)].map(quote).join(', ')
}

/** Where a found row's columns start: its sought row's position, its id, then the owned columns. */
const ID = 1
const FIRST_OWNED = 2

/** The Stokt ids sought, in their order, as the table stores them: what the lookup joins on. */
export function storedStoktIds(spec: TableSpec, dialect: Dialect, rows: readonly SoughtRow[]): unknown[] {
  return rows.map(({stoktId}) => toDatabaseValue(dialect, spec.stoktId, stoktId))
}

/**
 * The row stored for each sought row, in their order (foundColumns arrays, each naming its sought row's
 * position: no stored id is decoded or hashed to pair them). A row stored exactly as its sought values
 * would be written comes without values: decoding every row was most of a re-run's comparing. Any other
 * is decoded for the canonical comparison, which decides (a value the server stored in another form of
 * the same thing is still unchanged).
 */
export function existingRows(
  spec: TableSpec,
  dialect: Dialect,
  sought: readonly SoughtRow[],
  found: readonly unknown[][],
): (ExistingRow | undefined)[] {
  const existing = new Array<ExistingRow | undefined>(sought.length).fill(undefined)
  for (const row of found) {
    const position = Number(row[0])
    const id = rowIdOf(spec, row[ID])
    existing[position] = storedAsWritten(spec, dialect, row, sought[position].values) ? {id} : {id, values: storedValues(spec, row)}
  }
  return existing
}

/** A found row's owned values, canonical. */
function storedValues(spec: TableSpec, row: readonly unknown[]): OwnedValues {
  const values: OwnedValues = {}
  const columns = ownedColumns(spec)
  for (let index = 0; index < columns.length; index++) {
    const {name, kind} = columns[index]
    values[name] = fromDatabaseValue(kind, row[index + FIRST_OWNED])
  }
  return values
}

function rowIdOf(spec: TableSpec, stored: unknown): string | number {
  return spec.id === 'uuid' ? dashedUuid(String(stored)) : Number(stored)
}

/** The stored row holds exactly what writing `values` would, as the driver returns it (pg parses JSON: never equal but NULL). */
function storedAsWritten(spec: TableSpec, dialect: Dialect, row: readonly unknown[], values: OwnedValues): boolean {
  const columns = ownedColumns(spec)
  for (let index = 0; index < columns.length; index++) {
    const {name, kind} = columns[index]
    if (!isStoredForm(dialect, kind, row[index + FIRST_OWNED], values[name])) return false
  }
  return true
}

export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}
