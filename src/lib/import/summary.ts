import type {EntityName} from '../db/tables.js'

export interface EntityCounts {
  created: number
  updated: number
  unchanged: number
  errors: number
  total: number
}

export interface Rejected {
  entity: EntityName
  /** The Stokt id as received (null when the record had none). */
  stoktId: string | null
  reason: string
}

export interface FieldChange {
  field: string
  from: unknown
  to: unknown
}

export type Outcome =
  | {kind: 'created'; stoktId: string}
  | {kind: 'updated'; stoktId: string; changes: FieldChange[]}
  | {kind: 'unchanged'; stoktId: string}
  | {kind: 'error'; stoktId: string | null; reason: string; raw?: unknown}

/** Entities as the summary names them (the --json contract). */
export type SummaryEntity = 'faces' | 'holds' | 'users' | 'climbs'

export const SUMMARY_ENTITY: Partial<Record<EntityName, SummaryEntity>> = {
  face: 'faces',
  hold: 'holds',
  user: 'users',
  climb: 'climbs',
}

/** What a dry run's diff names: the summary's entities, and the gym. */
export type ChangedEntity = SummaryEntity | 'gym'

/** What a person knows a record by beside its id: a name, and a face's wall. */
export interface RecordLabel {
  name?: string
  face?: string
}

/** A dry run's diff: what would be created, and each update field by field; `labels` by Stokt id, beside the ids scripts read. */
export type EntityChanges = {create: string[]; update: {stoktId: string; fields: FieldChange[]}[]; labels?: Record<string, RecordLabel>}

/** Climbs stored from Stokt that Stokt no longer serves; `labels` by Stokt id, as in the diff. */
export type MissingClimbs = {count: number; ids: string[]; labels?: Record<string, RecordLabel>}

export interface ImportSummary {
  gym: string
  strategy: 'batch' | 'row-by-row'
  batchSize: number
  dryRun: boolean
  durationMs: number
  faces?: EntityCounts
  holds?: EntityCounts
  users?: EntityCounts
  climbs?: EntityCounts
  rejected: Rejected[]
  /** After a complete full walk: climbs stored from Stokt that Stokt no longer serves. */
  missing?: MissingClimbs
  /** Dry runs only; the gym too, which has no counts of its own. */
  changes?: Partial<Record<ChangedEntity, EntityChanges>>
}

export function emptyCounts(): EntityCounts {
  return {created: 0, updated: 0, unchanged: 0, errors: 0, total: 0}
}

/** Tallies outcomes into the run's summary (the --json contract). */
export class SummaryTally {
  readonly counts = new Map<SummaryEntity, EntityCounts>()
  readonly rejected: Rejected[] = []
  private readonly changes?: Map<ChangedEntity, EntityChanges>

  constructor(options: {collectChanges?: boolean} = {}) {
    if (options.collectChanges) this.changes = new Map()
  }

  /** Makes an entity appear in the summary even when it ends with no records. */
  track(entity: SummaryEntity): void {
    if (!this.counts.has(entity)) this.counts.set(entity, emptyCounts())
  }

  add(entityName: EntityName, outcome: Outcome, label?: RecordLabel): void {
    const entity = SUMMARY_ENTITY[entityName]
    this.addChange(entity ?? 'gym', outcome, label)
    if (entity === undefined) return
    this.track(entity)
    const counts = this.counts.get(entity)!
    counts.total += 1
    if (outcome.kind === 'error') {
      counts.errors += 1
      this.rejected.push({entity: entityName, stoktId: outcome.stoktId, reason: outcome.reason})
    } else {
      counts[outcome.kind] += 1
    }
  }

  private addChange(entity: ChangedEntity, outcome: Outcome, label: RecordLabel | undefined): void {
    if (!this.changes || (outcome.kind !== 'created' && outcome.kind !== 'updated')) return
    let changes = this.changes.get(entity)
    if (!changes) this.changes.set(entity, (changes = {create: [], update: [], labels: {}}))
    if (outcome.kind === 'created') changes.create.push(outcome.stoktId)
    else changes.update.push({stoktId: outcome.stoktId, fields: outcome.changes})
    if (label !== undefined) changes.labels![outcome.stoktId] = label
  }

  get errorCount(): number {
    return this.rejected.length
  }

  toSummary(
    head: Omit<ImportSummary, 'rejected' | 'missing' | 'changes' | SummaryEntity>,
    missing?: ImportSummary['missing'],
  ): ImportSummary {
    // Key order as the README shows it: the entities, then rejected, then the optional keys.
    const summary: ImportSummary = {...head, rejected: []}
    for (const entity of ['faces', 'holds', 'users', 'climbs'] as const) {
      const counts = this.counts.get(entity)
      if (counts) summary[entity] = {...counts}
    }
    const {rejected: _, ...rest} = summary
    return {
      ...rest,
      rejected: [...this.rejected],
      ...(missing
        ? {missing: {count: missing.count, ids: [...missing.ids], ...(missing.labels ? {labels: {...missing.labels}} : {})}}
        : {}),
      ...(this.changes ? {changes: Object.fromEntries(this.changes)} : {}),
    }
  }
}
