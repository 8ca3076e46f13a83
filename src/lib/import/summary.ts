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

/** Entities as the summary names them (design.md). */
export type SummaryEntity = 'faces' | 'holds' | 'users' | 'climbs'

export const SUMMARY_ENTITY: Partial<Record<EntityName, SummaryEntity>> = {
  face: 'faces',
  hold: 'holds',
  user: 'users',
  climb: 'climbs',
}

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
}

export function emptyCounts(): EntityCounts {
  return {created: 0, updated: 0, unchanged: 0, errors: 0, total: 0}
}

/** Tallies outcomes into the summary of design.md. */
export class SummaryTally {
  readonly counts = new Map<SummaryEntity, EntityCounts>()
  readonly rejected: Rejected[] = []

  /** Makes an entity appear in the summary even when it ends with no records. */
  track(entity: SummaryEntity): void {
    if (!this.counts.has(entity)) this.counts.set(entity, emptyCounts())
  }

  add(entityName: EntityName, outcome: Outcome): void {
    const entity = SUMMARY_ENTITY[entityName]
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

  get errorCount(): number {
    return this.rejected.length
  }

  toSummary(head: Omit<ImportSummary, 'rejected' | SummaryEntity>): ImportSummary {
    const summary: ImportSummary = {...head, rejected: [...this.rejected]}
    for (const entity of ['faces', 'holds', 'users', 'climbs'] as const) {
      const counts = this.counts.get(entity)
      if (counts) summary[entity] = {...counts}
    }
    // Key order as design.md shows it: rejected last.
    const {rejected, ...rest} = summary
    return {...rest, rejected}
  }
}
