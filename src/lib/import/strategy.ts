import {describeDatabaseError, isRecordLevelError, isTransientConflict, isUniqueViolation} from '../db/errors.js'
import type {StoreTransaction} from '../db/rowStore.js'
import type {EntityName, TableSpec} from '../db/tables.js'
import type {Outcome} from './summary.js'
import {type RowGroup, type SourceRow, type UpsertContext, upsertRows} from './upsert.js'

export type StrategyName = 'batch' | 'row-by-row'

export type OutcomeListener = (entity: EntityName, outcome: Outcome) => void

/** Extra writes that must commit with a batch (the `--incremental` cursor with the last one). */
export type BatchFinalizer = (tx: StoreTransaction) => Promise<void>

/** How a batch of records reaches the database. Both strategies leave the same rows and outcomes. */
export interface WriteStrategy {
  readonly name: StrategyName
  /** Writes the groups in order and reports every record's outcome once it is committed. */
  write(groups: RowGroup[], onOutcome: OutcomeListener, finalize?: BatchFinalizer): Promise<void>
}

/** The whole batch in one transaction: one lookup per table, multi-row inserts. */
export class BatchStrategy implements WriteStrategy {
  readonly name = 'batch'
  private readonly fallback: RowByRowStrategy

  constructor(private readonly context: UpsertContext) {
    this.fallback = new RowByRowStrategy(context)
  }

  async write(groups: RowGroup[], onOutcome: OutcomeListener, finalize?: BatchFinalizer): Promise<void> {
    let results: [EntityName, Outcome[]][]
    try {
      results = await this.context.store.transaction(async (tx) => {
        const written: [EntityName, Outcome[]][] = []
        for (const group of groups) {
          const lookUp = !this.context.firstImport.takesAsNew(group.spec)
          written.push([group.spec.entity, await upsertRows(this.context, tx, group, lookUp)])
        }
        if (finalize && !this.context.dryRun) await finalize(tx)
        return written
      })
    } catch (error) {
      this.context.ids.discard()
      if (!isRecordLevelError(error) && !isTransientConflict(error)) throw error
      // Refused or given up, the batch was rolled back whole: redo it record by record, so that only
      // an offending record is rejected. A row taken as new may exist after all: look up from now on.
      this.context.firstImport.lookUpFromNowOn()
      await this.fallback.write(groups, onOutcome, finalize)
      return
    }
    this.context.ids.commit()
    for (const [entity, outcomes] of results) for (const outcome of outcomes) onOutcome(entity, outcome)
  }
}

/** One lookup and one transaction per record: the design the batch replaced, kept to compare. */
export class RowByRowStrategy implements WriteStrategy {
  readonly name = 'row-by-row'

  constructor(private readonly context: UpsertContext) {}

  async write(groups: RowGroup[], onOutcome: OutcomeListener, finalize?: BatchFinalizer): Promise<void> {
    for (const group of groups) {
      for (const row of group.rows) onOutcome(group.spec.entity, await this.writeRecord(group.spec, row))
    }
    // After the last record's commit: what it records never runs ahead of the data.
    if (finalize && !this.context.dryRun) await this.context.store.transaction(finalize)
  }

  private async writeRecord(spec: TableSpec, row: SourceRow): Promise<Outcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        const [outcome] = await this.context.store.transaction((tx) => upsertRows(this.context, tx, {spec, rows: [row]}))
        this.context.ids.commit()
        return outcome
      } catch (error) {
        this.context.ids.discard()
        if (!isRecordLevelError(error)) throw error
        // Written by another run between this one's lookup and its insert: looked up again, it is found.
        if (isUniqueViolation(error) && attempt < UNIQUE_VIOLATION_ATTEMPTS) continue
        return {
          kind: 'error',
          stoktId: String(row.stoktId),
          reason: `the database refused it: ${describeDatabaseError(error)}`,
          raw: row.raw,
        }
      }
    }
  }
}

/** A record another run keeps writing at the same moment would be tried for ever: this many times. */
const UNIQUE_VIOLATION_ATTEMPTS = 3

export function createStrategy(name: StrategyName, context: UpsertContext): WriteStrategy {
  return name === 'batch' ? new BatchStrategy(context) : new RowByRowStrategy(context)
}
