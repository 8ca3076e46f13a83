import type {Dialect} from '../../src/lib/db/target.js'
import {toDatabaseValue} from '../../src/lib/db/encodings.js'
import {newRowId} from '../../src/lib/db/rowId.js'
import {CLIMBS, FACES, GYMS, HOLDS, USERS, insertedColumns, type Column, type TableSpec} from '../../src/lib/db/tables.js'
import {nowInstant} from '../../src/lib/common/instant.js'
import {climbRow, faceRow, gymRow, holdRow, userRow} from '../../src/lib/import/mapping.js'
import type {SourceRow} from '../../src/lib/import/upsert.js'
import {ClimbSchema} from '../../src/lib/stokt/schema/climb.js'
import {GymSummarySchema} from '../../src/lib/stokt/schema/gym.js'
import {FaceSetupSchema, HoldSchema} from '../../src/lib/stokt/schema/setup.js'
import type {GeneratedGym} from '../support/gymGenerator.js'

/**
 * The rows a first import of a generated gym writes, for the bare-insert floors and the batch
 * writes: the importer's own validation and mapping (src/lib/import/mapping.ts) give the Stokt
 * columns, tables.ts the rest, encodings.ts the values as each database keeps them. All of it is
 * done before any timing: the floors measure the writes alone.
 */
export type Value = string | number | boolean | null

export type TableName = 'gyms' | 'faces' | 'holds' | 'users' | 'climbs'

export interface TableRows {
  table: TableName
  spec: TableSpec
  columns: string[]
  rows: Value[][]
}

/** A gym's rows in canonical values (dashed UUIDs, `…Z` instants, JS booleans and JSON), made once for both databases. */
export interface GymRows {
  tables: {spec: TableSpec; columns: Column[]; rows: unknown[][]}[]
}

/** In insertion order: each table after the ones it references. */
export function rowsOfGym(gym: GeneratedGym, now = nowInstant()): GymRows {
  const gymId = newRowId()
  const summary = GymSummarySchema.parse(gym.summary)
  const gyms = [rowOf(GYMS, gymRow(summary), {}, now, gymId)]

  const faces: unknown[][] = []
  const holds: unknown[][] = []
  const faceIds = new Map<string, string>()
  for (const [faceStoktId, raw] of gym.setups) {
    const setup = FaceSetupSchema.parse(raw)
    const faceId = newRowId()
    faceIds.set(faceStoktId, faceId)
    faces.push(rowOf(FACES, faceRow(summary.id, setup), {gym_id: gymId}, now, faceId))
    for (const rawHold of setup.holds) holds.push(rowOf(HOLDS, holdRow(faceStoktId, HoldSchema.parse(rawHold)), {face_id: faceId}, now))
  }

  const users: unknown[][] = []
  const climbs: unknown[][] = []
  const userIds = new Map<string, string>()
  for (const raw of gym.climbs) {
    const climb = ClimbSchema.parse(raw)
    let setterId: string | null = null
    if (climb.climbSetters) {
      setterId = userIds.get(climb.climbSetters.id) ?? null
      if (setterId === null) {
        setterId = newRowId()
        userIds.set(climb.climbSetters.id, setterId)
        users.push(rowOf(USERS, userRow(climb.climbSetters), {}, now, setterId))
      }
    }
    climbs.push(rowOf(CLIMBS, climbRow(climb), {face_id: faceIds.get(climb.faceId) ?? null, setter_id: setterId}, now))
  }

  const table = (spec: TableSpec, rows: unknown[][]) => ({spec, columns: insertedColumns(spec), rows})
  return {tables: [table(GYMS, gyms), table(FACES, faces), table(HOLDS, holds), table(USERS, users), table(CLIMBS, climbs)]}
}

/** The rows as `dialect` stores them (encodings.ts): what the importer sends for the same gym. */
export function encodeRows(gymRows: GymRows, dialect: Dialect): TableRows[] {
  return gymRows.tables.map(({spec, columns, rows}) => ({
    table: spec.table as TableName,
    spec,
    columns: columns.map(({name}) => name),
    rows: rows.map((row) => row.map((value, index) => toDatabaseValue(dialect, columns[index].kind, value) as Value)),
  }))
}

/**
 * A new row's canonical values in insertedColumns order; `refs`: the references, already resolved to
 * ids. Ids are the importer's UUIDv7s: random ones would cost the primary-key indexes more.
 */
function rowOf(spec: TableSpec, source: SourceRow, refs: Record<string, string | null>, now: string, id?: string): unknown[] {
  const values = {...source.values, ...refs}
  return insertedColumns(spec).map(({name}) => {
    if (name === 'id') return id ?? newRowId()
    if (name === 'stokt_id') return source.stoktId
    if (name in spec.columns) return values[name] ?? null
    const created = spec.onCreate[name]
    if (created) return created.value === 'now' ? now : created.value
    return now // a stamp
  })
}

export function rowCount(tables: readonly TableRows[]): number {
  return tables.reduce((sum, table) => sum + table.rows.length, 0)
}
