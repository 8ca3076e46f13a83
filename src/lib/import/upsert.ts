/** The shared upsert: a batch's rows resolved, looked up, compared, and inserted or updated; the ids it learns. */
import type {StoreTransaction} from '../db/rowStore.js'
import type {ChangedRow, ExistingRow, NewRow, StoktKey} from '../db/rowWriters.js'
import {newRowId} from '../db/rowId.js'
import {
  ownedColumns,
  type ClimbValues,
  type EntityName,
  type FaceValues,
  type GymValues,
  type HoldValues,
  type OwnedValues,
  type TableSpec,
  type UserValues,
} from '../db/tables.js'
import type {RowStore} from './stores.js'
import type {FieldChange, Outcome} from './summary.js'

/** A reference column's record: what the column will hold the mastoc id of. */
export interface Reference {
  entity: EntityName
  /** null: the column is NULL. */
  stoktId: string | null
  /** The Stokt field it comes from, for the reason of a rejected record. */
  field: string
}

/** A record ready to write, of any table: its owned columns, with references still as Stokt ids. */
export interface SourceRow {
  stoktId: StoktKey
  values: OwnedValues
  /** column → the referenced record (`face_id` → a face's Stokt id); null stays null. */
  refs?: Readonly<Record<string, Reference>>
  /** The record as received, kept for the rejects file. */
  raw?: unknown
}

/** A record of the table whose values are `V`: its reference columns `R` in `refs`, the others in `values`, all typechecked. */
export type RowOf<V extends OwnedValues, R extends keyof V & string = never> = {
  stoktId: StoktKey
  values: Omit<V, R>
  raw?: unknown
} & ([R] extends [never] ? {refs?: undefined} : {refs: Readonly<Record<R, Reference>>})

export type GymRow = RowOf<GymValues>
export type FaceRow = RowOf<FaceValues, 'gym_id'>
export type HoldRow = RowOf<HoldValues, 'face_id'>
export type UserRow = RowOf<UserValues>
export type ClimbRow = RowOf<ClimbValues, 'face_id' | 'setter_id'>

/** The rows of one table within a batch, written in order (setters before their climbs). */
export interface TableRows {
  spec: TableSpec
  rows: readonly SourceRow[]
}

/** As TableRows, each table's spec with its own rows: a group of another table's rows fails to typecheck. */
export type RowGroup =
  | Group<GymValues, GymRow>
  | Group<FaceValues, FaceRow>
  | Group<HoldValues, HoldRow>
  | Group<UserValues, UserRow>
  | Group<ClimbValues, ClimbRow>

interface Group<V extends OwnedValues, Row> {
  spec: TableSpec<V>
  rows: Row[]
}

/** Stokt id → mastoc id of what this run wrote or found; ids learnt in a transaction are kept once it commits. */
export class IdRegistry {
  private readonly committed = new Map<EntityName, Map<string, string>>()
  private staged: [EntityName, string, string][] = []
  private readonly stagedIds = new Map<EntityName, Map<string, string>>()

  get(entity: EntityName, stoktId: string): string | undefined {
    return this.stagedIds.get(entity)?.get(stoktId) ?? this.committed.get(entity)?.get(stoktId)
  }

  /** Only what other records refer to is kept: gyms, faces and setters, not holds or climbs. */
  stage(entity: EntityName, stoktId: string, id: string): void {
    if (!REFERENCED.has(entity)) return
    this.staged.push([entity, stoktId, id])
    mapOf(this.stagedIds, entity).set(stoktId, id)
  }

  commit(): void {
    for (const [entity, stoktId, id] of this.staged) mapOf(this.committed, entity).set(stoktId, id)
    this.discard()
  }

  discard(): void {
    this.staged = []
    this.stagedIds.clear()
  }
}

const REFERENCED: ReadonlySet<EntityName> = new Set(['gym', 'face', 'user'])

function mapOf(maps: Map<EntityName, Map<string, string>>, entity: EntityName): Map<string, string> {
  let map = maps.get(entity)
  if (!map) maps.set(entity, (map = new Map()))
  return map
}

export interface UpsertContext {
  store: RowStore
  ids: IdRegistry
  dryRun: boolean
  now: () => string
  firstImport: FirstImportTables
}

/**
 * Tables empty as the run began (read under the lock): their rows are written as new, unlooked-up.
 * One that existed after all (a setter another gym's import wrote) fails the unique index: the batch
 * is redone record by record with lookups, and every later batch looks up.
 */
export class FirstImportTables {
  private readonly empty: Set<TableSpec>

  constructor(emptyAtStart: Iterable<TableSpec> = []) {
    this.empty = new Set(emptyAtStart)
  }

  /** The rows of this table can be written as new without a lookup. */
  takesAsNew(spec: TableSpec): boolean {
    return this.empty.has(spec)
  }

  /** A row taken as new existed after all: from now on, every batch looks its rows up. */
  lookUpFromNowOn(): void {
    this.empty.clear()
  }
}

/** One lookup, one insert of the new rows, an update of the changed: both strategies call it, so they cannot disagree. */
export async function upsertRows(context: UpsertContext, tx: StoreTransaction, group: TableRows, lookUp = true): Promise<Outcome[]> {
  const {spec} = group
  const outcomes: Outcome[] = new Array(group.rows.length)
  const resolved: {index: number; row: SourceRow; values: OwnedValues}[] = []
  group.rows.forEach((row, index) => {
    const result = resolveReferences(context.ids, row)
    const problem = typeof result === 'string' ? result : context.store.storageProblem(spec, row.stoktId, result)
    if (problem !== undefined) outcomes[index] = {kind: 'error', stoktId: String(row.stoktId), reason: problem, raw: row.raw}
    else resolved.push({index, row, values: context.store.keptValues(spec, result as OwnedValues)})
  })

  const existing = lookUp
    ? await context.store.findByStoktIds(
        tx,
        spec,
        resolved.map(({row, values}) => ({stoktId: row.stoktId, values})),
      )
    : []
  const inserts: NewRow[] = []
  const updates: ChangedRow[] = []
  for (let at = 0; at < resolved.length; at++) {
    const {index, row, values} = resolved[at]
    const key = String(row.stoktId)
    const current: ExistingRow | undefined = existing[at]
    if (current === undefined) {
      const id = spec.id === 'uuid' ? newRowId() : undefined
      inserts.push({id, stoktId: row.stoktId, values})
      if (id !== undefined) context.ids.stage(spec.entity, key, id)
      outcomes[index] = {kind: 'created', stoktId: key}
      continue
    }
    if (typeof current.id === 'string') context.ids.stage(spec.entity, key, current.id)
    if (current.values === undefined) {
      outcomes[index] = {kind: 'unchanged', stoktId: key}
      continue
    }
    keepServerValues(spec, current.values, values)
    const changes = changedFields(spec, current.values, values)
    if (changes.length === 0) {
      outcomes[index] = {kind: 'unchanged', stoktId: key}
    } else {
      updates.push({id: current.id, values})
      outcomes[index] = {kind: 'updated', stoktId: key, changes}
    }
  }
  if (!context.dryRun) {
    const now = context.now()
    await context.store.insertRows(tx, spec, inserts, now)
    await context.store.updateRows(tx, spec, updates, now)
  }
  return outcomes
}

/** The row's values with its references as mastoc ids (set again each call: a redone batch resolves afresh), or why not. */
function resolveReferences(ids: IdRegistry, row: SourceRow): OwnedValues | string {
  const {refs, values} = row
  if (!refs) return values
  for (const column in refs) {
    const ref = refs[column]
    if (ref.stoktId === null) {
      values[column] = null
      continue
    }
    const id = ids.get(ref.entity, ref.stoktId)
    if (id === undefined) return `${ref.field}: ${ref.entity} ${ref.stoktId} was not imported`
    values[column] = id
  }
  return values
}

/** A value the server set (a mastoc user's own avatar) stays: Stokt's is taken as if it were the same. */
function keepServerValues(spec: TableSpec, stored: OwnedValues, fresh: OwnedValues): void {
  if (!spec.serverValues) return
  for (const column in spec.serverValues) if (spec.serverValues[column](stored[column])) fresh[column] = stored[column]
}

export function changedFields(spec: TableSpec, before: OwnedValues, after: OwnedValues): FieldChange[] {
  const changes: FieldChange[] = []
  for (const {name, kind} of ownedColumns(spec)) {
    const from = before[name] ?? null
    const to = after[name] ?? null
    // === for -0 and 0 (JSON, and so PostgreSQL here, has no -0); Object.is for NaN.
    const same = kind === 'json' ? JSON.stringify(from) === JSON.stringify(to) : from === to || Object.is(from, to)
    if (!same) changes.push({field: name, from, to})
  }
  return changes
}
