/** A row's columns and values as both row writers send them, and a looked-up row as they read it back. */
import type {Dialect} from './target.js'
import {dashedUuid, fromDatabaseValue, toDatabaseValue} from './encodings.js'
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

/** The lookup's columns: id, stokt_id, then the owned ones in ownedColumns order (rows come back as arrays). */
export function findColumns(spec: TableSpec): string {
  return ['id', 'stokt_id', ...ownedColumns(spec).map((column) => column.name)].map(quote).join(', ')
}

/** A row of the lookup, as an array in findColumns order: arrays cost a third of what row objects do. */
export function existingRow(spec: TableSpec, row: readonly unknown[]): ExistingRow {
  const values: OwnedValues = {}
  const columns = ownedColumns(spec)
  for (let index = 0; index < columns.length; index++) {
    const {name, kind} = columns[index]
    values[name] = fromDatabaseValue(kind, row[index + 2])
  }
  return {id: rowIdOf(spec, row), values}
}

export function rowIdOf(spec: TableSpec, row: readonly unknown[]): string | number {
  return spec.id === 'uuid' ? dashedUuid(String(row[0])) : Number(row[0])
}

/**
 * Each Stokt id sought, as the lookup gets it back (the stored form), with the values it would be written
 * with; undefined for an id sought twice (with values that may differ): it gets the whole comparison.
 */
export function soughtByStoredId(spec: TableSpec, dialect: Dialect, rows: readonly SoughtRow[]): Map<unknown, OwnedValues | undefined> {
  const sought = new Map<unknown, OwnedValues | undefined>()
  for (const {stoktId, values} of rows) {
    const key = toDatabaseValue(dialect, spec.stoktId, stoktId)
    sought.set(key, sought.has(key) ? undefined : values)
  }
  return sought
}

/**
 * The lookup's rows (arrays in findColumns order) by Stokt id. A row stored exactly as its sought values
 * would be written, compared as the driver returns it, comes without values: decoding every row was most
 * of a re-run's comparing. Any other is decoded for the canonical comparison, which decides (a value
 * the server stored in another form of the same thing is still unchanged).
 */
export function existingRows(
  spec: TableSpec,
  dialect: Dialect,
  sought: ReadonlyMap<unknown, OwnedValues | undefined>,
  rows: readonly unknown[][],
): Map<string, ExistingRow> {
  const found = new Map<string, ExistingRow>()
  for (const row of rows) {
    const values = sought.get(row[1])
    const asWritten = values !== undefined && storedAsWritten(spec, dialect, row, values)
    found.set(stoktKeyOf(spec, row[1]), asWritten ? {id: rowIdOf(spec, row)} : existingRow(spec, row))
  }
  return found
}

/** The stored row holds exactly what writing `values` would, as the driver returns it (pg parses JSON: never equal but NULL). */
function storedAsWritten(spec: TableSpec, dialect: Dialect, row: readonly unknown[], values: OwnedValues): boolean {
  const columns = ownedColumns(spec)
  for (let index = 0; index < columns.length; index++) {
    const {name, kind} = columns[index]
    if (row[index + 2] !== toDatabaseValue(dialect, kind, values[name])) return false
  }
  return true
}

/** A stored Stokt id as the key the import uses: the dashed UUID, or the number's text. */
export function stoktKeyOf(spec: TableSpec, stored: unknown): string {
  return spec.stoktId === 'uuid' ? dashedUuid(String(stored)) : String(stored)
}

export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`
}
