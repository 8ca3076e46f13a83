/** What a run's phases share: the batch in flight, the checks between batches, the counts and progress. */
import type {ImportLock} from '../db/importLock.js'
import type {EntityName} from '../db/tables.js'
import {ImportFailure, ImportInterrupted} from './failures.js'
import type {ImportOptions, ImportReporter} from './ports.js'
import type {BatchFinalizer, WriteStrategy} from './strategy.js'
import {SUMMARY_ENTITY, type Outcome, type RecordLabel, type Rejected, type SummaryEntity, type SummaryTally} from './summary.js'
import type {RowGroup, SourceRow} from './upsert.js'

export interface PhaseContextParts {
  options: ImportOptions
  reporter: ImportReporter
  tally: SummaryTally
  strategy: WriteStrategy
  /** The gym's lock, held for the run: checked between batches. */
  lock: ImportLock
  /** Each record the run rejects, as received: for `--rejects`. */
  onRejected?: (rejected: Rejected, record: unknown) => void
}

export class PhaseContext {
  readonly options: ImportOptions
  readonly reporter: ImportReporter
  readonly tally: SummaryTally
  readonly strategy: WriteStrategy
  private readonly lock: ImportLock
  private readonly onRejected?: (rejected: Rejected, record: unknown) => void
  private readonly done = new Map<SummaryEntity, number>()
  private readonly totals = new Map<SummaryEntity, number | undefined>()
  /** Each face's wall name, as the walls list gives it: how a person knows a face. */
  private readonly faceNames = new Map<string, string>()
  /** Dry runs: `${entity} ${stoktId}` → its label, from when its row is made until its outcome. */
  private readonly pendingLabels?: Map<string, RecordLabel>
  private writeInFlight?: Promise<void>

  constructor(parts: PhaseContextParts) {
    this.options = parts.options
    this.reporter = parts.reporter
    this.tally = parts.tally
    this.strategy = parts.strategy
    this.lock = parts.lock
    this.onRejected = parts.onRejected
    if (parts.options.dryRun) this.pendingLabels = new Map()
  }

  /**
   * Starts writing a batch once the one before it is committed, and returns without waiting for it:
   * the next batch is read while this one is in the database's hands. Batches still commit in
   * order, so a batch's references always resolve to what the batches before it wrote.
   */
  async writeGroups(groups: RowGroup[], finalize?: BatchFinalizer): Promise<void> {
    await this.drainWrites()
    if (this.pendingLabels) {
      for (const {spec, rows} of groups)
        for (const row of rows) this.pendingLabels.set(`${spec.entity} ${row.stoktId}`, this.labelOf(spec.entity, row))
    }
    if (finalize || groups.some((group) => group.rows.length > 0)) {
      this.throwIfInterrupted()
      const write = this.strategy.write(groups, (entity, outcome) => this.record(entity, outcome), finalize)
      write.catch(() => {}) // reported by the next drainWrites(), or by fromSource() at once
      this.writeInFlight = write
    }
  }

  /** Waits for the batch in flight, then applies the checks between batches. */
  async drainWrites(): Promise<void> {
    const write = this.writeInFlight
    this.writeInFlight = undefined
    await write
    this.checkErrorBudget()
    this.throwIfInterrupted()
    this.checkLock()
  }

  /** After a failure elsewhere: the batch in flight still ends (committed or rolled back) before the run is recorded. */
  async settled(): Promise<void> {
    await this.writeInFlight?.catch(() => {})
  }

  /** `--max-errors`: checked between records and batches, so the summary always counts whole batches. */
  checkErrorBudget(): void {
    const {maxErrors} = this.options
    if (maxErrors !== undefined && this.tally.errorCount > maxErrors) {
      throw new ImportFailure(
        `stopped after ${this.tally.errorCount} rejected records (--max-errors ${maxErrors}); whole batches already written are kept`,
      )
    }
  }

  throwIfInterrupted(): void {
    const {signal} = this.options
    if (signal?.aborted) throw new ImportInterrupted(String(signal.reason ?? 'a signal'))
  }

  /** Waits for Stokt, unless a signal comes first or the batch in flight fails: neither waits for a slow request. */
  async fromSource<T>(call: () => Promise<T>): Promise<T> {
    this.throwIfInterrupted()
    const {signal} = this.options
    const write = this.writeInFlight
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(new ImportInterrupted(String(signal?.reason ?? 'a signal')))
      signal?.addEventListener('abort', onAbort, {once: true})
      write?.catch(reject)
      call()
        .then(resolve, reject)
        .finally(() => signal?.removeEventListener('abort', onAbort))
    })
  }

  reject(entity: EntityName, stoktId: string | null, reason: string, raw: unknown): undefined {
    this.record(entity, {kind: 'error', stoktId, reason, raw})
    return undefined
  }

  track(entity: SummaryEntity, total: number | undefined): void {
    this.tally.track(entity)
    this.totals.set(entity, total)
    this.reporter.progress(entity, 0, total)
  }

  total(entity: SummaryEntity): number | undefined {
    return this.totals.get(entity)
  }

  /** A total learnt along the way, shown at once. */
  setTotal(entity: SummaryEntity, total: number): void {
    this.totals.set(entity, total)
    this.reporter.progress(entity, this.done.get(entity) ?? 0, total)
  }

  nameFace(faceStoktId: string, wallName: string): void {
    this.faceNames.set(faceStoktId, wallName)
  }

  faceName(faceStoktId: string): string {
    return this.faceNames.get(faceStoktId) ?? `face ${faceStoktId}`
  }

  /** What a person knows a record by: its name, its face's wall. */
  labelOf(entity: EntityName, row: SourceRow): RecordLabel {
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)
    const faceStoktId = entity === 'face' ? String(row.stoktId) : (row.refs?.face_id?.stoktId ?? undefined)
    const name = text(row.values.name ?? row.values.full_name ?? row.values.display_name)
    return {...(name !== undefined ? {name} : {}), ...(faceStoktId ? {face: this.faceName(faceStoktId)} : {})}
  }

  /** Without the gym's lock, another import of it may be writing: stop before the next batch. */
  private checkLock(): void {
    const lost = this.lock.lost()
    if (lost !== undefined) {
      throw new ImportFailure(`lost the lock on gym ${this.options.gymId} (${lost}); stopped, keeping the whole batches already written`)
    }
  }

  private record(entity: EntityName, outcome: Outcome): void {
    const labelKey = `${entity} ${outcome.stoktId}`
    const label = this.pendingLabels?.get(labelKey)
    this.pendingLabels?.delete(labelKey)
    this.tally.add(entity, outcome, label)
    if (outcome.kind === 'error') this.onRejected?.({entity, stoktId: outcome.stoktId, reason: outcome.reason}, outcome.raw)
    const summaryEntity = SUMMARY_ENTITY[entity]
    if (summaryEntity === undefined) return
    const done = (this.done.get(summaryEntity) ?? 0) + 1
    this.done.set(summaryEntity, done)
    this.reporter.progress(summaryEntity, done, this.totals.get(summaryEntity))
  }
}
