/** One run's phases, over the state they share (tally, ids, the write pipeline): the gym and its faces, then the climbs. */
import type {ImportLock} from '../db/importLock.js'
import {CLIMBS, FACES, GYMS, HOLDS, USERS, type EntityName} from '../db/tables.js'
import {ClimbSchema, ClimbSetterSchema, firstHoldNotIn} from '../stokt/schema/climb.js'
import {parseRecord, receivedId} from '../stokt/schema/common.js'
import {GymSummarySchema} from '../stokt/schema/gym.js'
import {FaceSetupSchema, HoldSchema} from '../stokt/schema/setup.js'
import {WallsSchema} from '../stokt/schema/walls.js'
import {jsonText} from '../stokt/jsonText.js'
import {ALL_CLIMBS_MAX_AGE, StoktError} from '../stokt/source.js'
import {FetchedAhead} from './concurrency.js'
import {nowInstant, toCanonicalInstant} from '../common/instant.js'
import {climbRow, faceRow, gymRow, holdRow, userRow} from './mapping.js'
import {createStrategy, type BatchFinalizer, type WriteStrategy} from './strategy.js'
import {
  SUMMARY_ENTITY,
  SummaryTally,
  type ImportSummary,
  type MissingClimbs,
  type Outcome,
  type RecordLabel,
  type Rejected,
  type SummaryEntity,
} from './summary.js'
import {PrefetchedPages} from './prefetchedPages.js'
import {
  FirstImportTables,
  IdRegistry,
  type ClimbRow,
  type HoldRow,
  type RowGroup,
  type SourceRow,
  type UpsertContext,
  type UserRow,
} from './upsert.js'
import {ImportFailure, ImportInterrupted} from './failures.js'
import {incrementalMaxAge} from './incremental.js'
import type {ImportOptions, ImportReporter, ImportResult, RunContext} from './ports.js'
import type {PhaseStores} from './stores.js'

/** The hold ids of each face, to check the holds lists of climbs. */
type FaceHolds = Map<string, Set<number>>

export class GymImporter {
  private readonly tally: SummaryTally
  private readonly ids = new IdRegistry()
  /** Made by importAll, once the tables a first import fills are known (read under the lock). */
  private strategy!: WriteStrategy
  private readonly upsertContext: Omit<UpsertContext, 'firstImport'>
  /** Monotonic: a clock set during the run changes no duration. */
  private readonly startedMs = performance.now()
  private readonly done = new Map<SummaryEntity, number>()
  private readonly totals = new Map<SummaryEntity, number | undefined>()
  /** Each record the run rejects, as received: for `--rejects`. Given to importAll. */
  private onRejected?: (rejected: Rejected, record: unknown) => void
  private missing?: MissingClimbs
  /** Each face's wall name, as the walls list gives it: how a person knows a face. */
  private readonly faceNames = new Map<string, string>()
  /** Dry runs: `${entity} ${stoktId}` → its label, from when its row is made until its outcome. */
  private readonly pendingLabels?: Map<string, RecordLabel>
  private writeInFlight?: Promise<void>
  /** The gym's lock, held for the run: checked between batches. Given to importAll. */
  private lock?: ImportLock
  /** Every hold id served so far in this run, and the face it was served on first. */
  private readonly holdFaces = new Map<number, string>()
  /**
   * `${faceId} ${holdId}` → why that face's hold was rejected: a climb using it is rejected naming
   * that reason, not as if Stokt had no such hold on the face (where a person would look in vain).
   */
  private readonly rejectedHolds = new Map<string, string>()

  constructor(
    private readonly options: ImportOptions,
    private readonly run: RunContext,
    private readonly stores: PhaseStores,
    private readonly reporter: ImportReporter,
  ) {
    this.tally = new SummaryTally({collectChanges: options.dryRun})
    if (options.dryRun) this.pendingLabels = new Map()
    this.upsertContext = {store: stores.rows, ids: this.ids, dryRun: options.dryRun, now: () => nowInstant()}
  }

  /** Runs every phase, holding `lock`; made before the lock is taken, for partialSummary to answer however the run ends. */
  async importAll(run: {lock: ImportLock; onRejected?: (rejected: Rejected, record: unknown) => void}): Promise<ImportResult> {
    this.lock = run.lock
    this.onRejected = run.onRejected
    const {command, source, gymId} = this.options
    // Read under the gym's lock, before anything is written.
    const firstImport = new FirstImportTables(await this.stores.rows.emptyTables([GYMS, FACES, HOLDS, USERS, CLIMBS]))
    this.strategy = createStrategy(this.options.strategy, {...this.upsertContext, firstImport})
    // The climbs start arriving while the gym, faces and holds are written: fetching overlaps writing.
    const climbPages = command === 'holds' ? undefined : new PrefetchedPages(source.climbPages(gymId, this.run.maxAge))
    try {
      let faceHolds: FaceHolds = new Map()
      if (command !== 'users') faceHolds = await this.importGymAndFaces(command !== 'climbs')
      if (climbPages) await this.importClimbs(climbPages, command !== 'users', faceHolds)
      await this.drainWrites()
      if (!this.options.dryRun) await this.stores.rows.checkpoint()
    } finally {
      climbPages?.close()
      // A failure elsewhere: the batch in flight still ends (committed or rolled back) before the run is recorded.
      await this.writeInFlight?.catch(() => {})
    }
    const summary = this.partialSummary()
    return {summary}
  }

  partialSummary(): ImportSummary {
    return this.tally.toSummary(
      {
        gym: this.options.gymId,
        strategy: this.options.strategy,
        batchSize: this.options.batchSize,
        dryRun: this.options.dryRun,
        durationMs: Math.round(performance.now() - this.startedMs),
      },
      this.missing,
    )
  }

  /** The gym, its faces and (with `withHolds`) their holds. */
  private async importGymAndFaces(withHolds: boolean): Promise<FaceHolds> {
    const {source, gymId} = this.options
    this.reporter.phase(`Reading gym ${gymId} from ${source.description}`)
    const summaryRaw = await this.fromSource(() => source.gymSummary(gymId))
    const summary = parseRecord(GymSummarySchema, summaryRaw)
    if (!summary.ok) throw new ImportFailure(`Stokt's summary of gym ${gymId} is unusable: ${summary.reason}`)
    // Written as asked for, it would move every face to the other gym, under this gym's lock and cursor.
    if (summary.value.id.toLowerCase() !== gymId.toLowerCase()) {
      throw new ImportFailure(`Stokt's summary of gym ${gymId} is of gym ${summary.value.id}: nothing written`)
    }
    const walls = parseRecord(WallsSchema, await this.fromSource(() => source.walls(gymId)))
    if (!walls.ok) throw new ImportFailure(`Stokt's walls of gym ${gymId} are unusable: ${walls.reason}`)
    const faceIds = [...new Set(walls.value.flatMap((wall) => wall.faces.map((face) => face.id)))]
    for (const wall of walls.value) for (const face of wall.faces) if (wall.name) this.faceNames.set(face.id, wall.name)

    // A dry run writes nothing: it compares with what the database holds.
    const writing = this.options.dryRun ? 'comparing' : 'writing'
    this.reporter.phase(this.options.dryRun ? 'Comparing the gym' : 'Writing the gym')
    let gymOutcome: Outcome | undefined
    this.throwIfInterrupted()
    const gym = gymRow(summary.value, summaryRaw)
    await this.strategy.write([{spec: GYMS, rows: [gym]}], (entity, outcome) => {
      gymOutcome = outcome
      this.tally.add(entity, outcome, this.labelOf('gym', gym)) // no counts of its own: a dry run's diff names it
    })
    if (gymOutcome?.kind === 'error') throw new ImportFailure(`gym ${gymId} could not be written: ${gymOutcome.reason}`)

    this.reporter.phase(
      `Reading ${faceIds.length} face setup${faceIds.length === 1 ? '' : 's'}${withHolds ? ` and ${writing} their holds` : ''}`,
    )
    this.track('faces', faceIds.length)
    if (withHolds) this.track('holds', undefined)
    // Setups are fetched ahead but handled one at a time, in order: a large gym's holds are never
    // all in memory at once, and writing one face's holds overlaps fetching the next setups.
    // A face the walls list but whose setup Stokt does not have is that face's problem alone.
    const setups = new FetchedAhead(faceIds, this.options.concurrency, (faceId) =>
      source.faceSetup(faceId).catch((error: unknown) => {
        if (error instanceof StoktError && error.status === 404) return new MissingSetup(error.message)
        throw error
      }),
    )
    const faceHolds: FaceHolds = new Map()
    try {
      for (const faceId of faceIds) {
        const raw = await this.fromSource(() => setups.next())
        if (raw instanceof MissingSetup) {
          this.reject('face', faceId, `setup: ${raw.message}`, null)
          continue
        }
        const holdIds = await this.importFace(summary.value.id, faceId, raw, withHolds)
        if (holdIds) faceHolds.set(faceId, holdIds)
      }
    } finally {
      setups.discard()
    }
    return faceHolds
  }

  /** One face and (with `withHolds`) its holds; the face's hold ids, or undefined when it was rejected. */
  private async importFace(gymStoktId: string, faceId: string, raw: unknown, withHolds: boolean): Promise<Set<number> | undefined> {
    const setup = parseRecord(FaceSetupSchema, raw, ['holds'])
    if (!setup.ok) return this.reject('face', receivedId(raw) ?? faceId, setup.reason, raw)
    if (setup.value.id !== faceId) return this.reject('face', faceId, `id: the setup of face ${faceId} is of face ${setup.value.id}`, raw)

    const holdIds = new Set<number>()
    const holdRows: HoldRow[] = []
    if (withHolds) this.setTotal('holds', (this.totals.get('holds') ?? 0) + setup.value.holds.length)
    for (const rawHold of setup.value.holds) {
      const hold = parseRecord(HoldSchema, rawHold)
      if (hold.ok) {
        // A hold is on one face. Served again, later in the run, it is refused, not written over the
        // first: each run would otherwise move it back and forth, and a re-run would never settle.
        const servedOn = this.holdFaces.get(hold.value.id)
        if (servedOn !== undefined) {
          const where = servedOn === faceId ? "twice in this face's setup" : `in the setup of face ${servedOn} too`
          const reason = `face ${faceId}: hold ${hold.value.id} is served ${where}; the first one is kept`
          if (servedOn !== faceId) this.rejectedHolds.set(`${faceId} ${hold.value.id}`, reason)
          if (withHolds) this.reject('hold', String(hold.value.id), reason, rawHold)
          continue
        }
        this.holdFaces.set(hold.value.id, faceId)
        holdIds.add(hold.value.id)
        if (withHolds) holdRows.push(holdRow(faceId, hold.value, rawHold))
      } else {
        const reason = `face ${faceId}: ${hold.reason}`
        const id = (rawHold as {id?: unknown} | null)?.id
        if (typeof id === 'number' && Number.isInteger(id)) this.rejectedHolds.set(`${faceId} ${id}`, reason)
        if (withHolds) this.reject('hold', receivedId(rawHold), reason, rawHold)
      }
    }
    // The face goes in the transaction of its first holds, before them, as setters go with their
    // climbs: no wait for the database between faces. Should the database refuse the face, its
    // holds and climbs are rejected as referring to a face that was not imported.
    const face: RowGroup = {spec: FACES, rows: [faceRow(gymStoktId, setup.value, raw)]}
    let start = 0
    do {
      const holds: RowGroup = {spec: HOLDS, rows: holdRows.slice(start, start + this.options.batchSize)}
      await this.writeGroups(start === 0 ? [face, holds] : [holds])
      start += this.options.batchSize
    } while (start < holdRows.length)
    return holdIds
  }

  /** Climbs page by page as they arrive; the setters each batch needs are written first, in its transaction. */
  private async importClimbs(pages: PrefetchedPages, withClimbs: boolean, faceHolds: FaceHolds): Promise<void> {
    const {source, batchSize} = this.options
    const {maxAge} = this.run
    this.reporter.phase(
      maxAge === ALL_CLIMBS_MAX_AGE
        ? `Reading every climb from ${source.description}`
        : `Reading climbs of the last ${maxAge} days from ${source.description}`,
    )
    const seenClimbs = new Set<string>()
    /** Records without an id (rejected), as served: read twice, one is still one record. */
    const seenWithoutId = new Set<string>()
    const seenSetters = new Set<string>()
    let users: UserRow[] = []
    let climbs: ClimbRow[] = []
    const flush = async (finalize?: BatchFinalizer) => {
      const groups: RowGroup[] = [{spec: USERS, rows: users}]
      if (withClimbs) groups.push({spec: CLIMBS, rows: climbs})
      users = []
      climbs = []
      await this.writeGroups(groups, finalize)
    }

    let lastCount: number | undefined
    // The bars wait for the first page (asked for when the run began): the climbs bar starts at
    // Stokt's count, not at 0/1.
    this.tally.track('users')
    if (withClimbs) this.tally.track('climbs')
    let next = await this.fromSource(() => pages.next())
    this.track('users', undefined)
    if (withClimbs) this.track('climbs', next.done ? 0 : next.value.count)
    for (; !next.done; next = await this.fromSource(() => pages.next())) {
      const page = next.value
      lastCount = page.count
      if (withClimbs && page.count !== undefined && page.count > (this.totals.get('climbs') ?? 0)) this.setTotal('climbs', page.count)
      for (const raw of page.results) {
        const climbId = receivedId(raw)
        // The list is newest first: climbs created while paging push older ones onto the next page.
        if (climbId !== null) {
          if (seenClimbs.has(climbId)) continue
          seenClimbs.add(climbId)
        } else {
          const asServed = jsonText(raw)
          if (seenWithoutId.has(asServed)) continue
          seenWithoutId.add(asServed)
        }

        const setter = setterOf(raw)
        const setterId = receivedId(setter)
        if (setter !== null && !seenSetters.has(String(setterId))) {
          seenSetters.add(String(setterId))
          const parsed = parseRecord(ClimbSetterSchema, setter)
          if (parsed.ok) users.push(userRow(parsed.value, setter))
          else this.reject('user', setterId, `climbSetters of climb ${climbId ?? '(no id)'}: ${parsed.reason}`, setter)
        }
        if (withClimbs) {
          const row = this.climbRowOf(raw, climbId, faceHolds)
          if (row !== undefined) climbs.push(row)
        }
        this.checkErrorBudget()
        if ((withClimbs ? climbs.length : users.length) >= batchSize) await flush()
      }
    }
    // Fewer climbs than Stokt announced: pages came back short (or empty) and some were never seen.
    const served = seenClimbs.size + seenWithoutId.size
    // Every page read: the setters are all counted.
    this.setTotal('users', seenSetters.size)
    const complete = lastCount === undefined || served >= lastCount
    if (!complete) {
      this.reporter.warn(
        `Stokt announced ${lastCount} climb${lastCount === 1 ? '' : 's'} but served ${served}: the others were not read${withClimbs ? ', and the --incremental cursor stays where it was' : ''}`,
      )
    }
    // Every page read: the cursor commits with the last batch, so it never runs ahead of the data.
    const cursor = withClimbs && complete ? await this.cursorAfterWalk() : undefined
    await flush(cursor)
    await this.drainWrites()
    if (withClimbs && maxAge === ALL_CLIMBS_MAX_AGE && lastCount !== undefined && lastCount === seenClimbs.size) {
      await this.reportMissing(seenClimbs)
    }
  }

  /**
   * The `--incremental` cursor, when this walk covers everything since the previous one: a full
   * walk, or a window reaching back to the last cursor (an incremental run, or a wide --max-age).
   */
  private async cursorAfterWalk(): Promise<BatchFinalizer | undefined> {
    const {maxAge, startedAt, id} = this.run
    const previous = await this.stores.cursor.readClimbsCursor(this.options.gymId)
    const covers = maxAge === ALL_CLIMBS_MAX_AGE || (previous !== undefined && maxAge >= incrementalMaxAge(previous, startedAt))
    if (!covers) return undefined
    // Climbs read earlier than this run (a snapshot's): the cursor is when they were, or the next
    // incremental run would never ask for the climbs created in between.
    const readAt = await this.options.source.climbsReadAt?.()
    const readAtInstant = readAt === undefined ? undefined : toCanonicalInstant(readAt)
    const climbsStartedAt = readAtInstant !== undefined && readAtInstant < startedAt ? readAtInstant : startedAt
    return (tx) => this.stores.cursor.writeClimbsCursor(tx, {gymStoktId: this.options.gymId, climbsStartedAt, runId: id, now: nowInstant()})
  }

  /** After a complete full walk: climbs from Stokt that Stokt no longer serves. Reported, never deleted. */
  private async reportMissing(served: ReadonlySet<string>): Promise<void> {
    // Written, every climb served and kept is now on this gym's faces: when the gym has no more
    // climbs than those, none is missing, and their ids need not be read back.
    const climbs = this.tally.counts.get('climbs')
    const kept = climbs ? climbs.created + climbs.updated + climbs.unchanged : 0
    if (!this.options.dryRun && (await this.stores.climbs.countClimbsOfGym(this.options.gymId)) === kept) {
      this.missing = {count: 0, ids: []}
      return
    }
    const stored = await this.stores.climbs.climbStoktIdsOfGym(this.options.gymId)
    const ids = stored.filter((stoktId) => !served.has(stoktId)).sort()
    const labels: Record<string, RecordLabel> = {}
    for (const [stoktId, {name, faceStoktId}] of await this.stores.climbs.describeClimbs(ids)) {
      labels[stoktId] = {name, ...(faceStoktId ? {face: this.faceName(faceStoktId)} : {})}
    }
    // Labels only beside ids: a run with none missing reports {count: 0, ids: []}, as it always has.
    this.missing = ids.length > 0 ? {count: ids.length, ids, labels} : {count: 0, ids}
    if (ids.length > 0)
      this.reporter.warn(
        `${ids.length} climb${ids.length === 1 ? ' is' : 's are'} no longer served by Stokt (kept; listed under "missing")`,
      )
  }

  /** A climb's row, or undefined when it is rejected (its reason recorded). */
  private climbRowOf(raw: unknown, climbId: string | null, faceHolds: FaceHolds): ClimbRow | undefined {
    const parsed = parseRecord(ClimbSchema, raw)
    if (!parsed.ok) return this.reject('climb', climbId, parsed.reason, raw)
    const climb = parsed.value
    const holdIds = faceHolds.get(climb.faceId)
    if (holdIds === undefined) {
      return this.reject('climb', climbId, `faceId: ${climb.faceId} is not a face of gym ${this.options.gymId} that was imported`, raw)
    }
    const unknownHold = firstHoldNotIn(climb.holdsList, holdIds)
    if (unknownHold !== undefined) return this.reject('climb', climbId, `holdsList: ${this.holdProblem(climb.faceId, unknownHold)}`, raw)
    const unknownMirror = firstHoldNotIn(climb.mirrorHoldsList ?? '', holdIds)
    if (unknownMirror !== undefined)
      return this.reject('climb', climbId, `mirrorHoldsList: ${this.holdProblem(climb.faceId, unknownMirror)}`, raw)
    return climbRow(climb, raw)
  }

  /** Why a climb cannot use a hold its face's holds do not include: rejected, or not on the face at all. */
  private holdProblem(faceId: string, holdId: number): string {
    const rejected = this.rejectedHolds.get(`${faceId} ${holdId}`)
    return rejected === undefined ? `hold ${holdId} is not on face ${faceId}` : `hold ${holdId} was rejected (${rejected})`
  }

  /**
   * Starts writing a batch once the one before it is committed, and returns without waiting for it:
   * the next batch is read and validated while this one is in the database's hands (PostgreSQL
   * works in its own process meanwhile). Batches still commit one after the other, in order, so a
   * batch's references always resolve to what the batches before it wrote.
   */
  private async writeGroups(groups: RowGroup[], finalize?: BatchFinalizer): Promise<void> {
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
  private async drainWrites(): Promise<void> {
    const write = this.writeInFlight
    this.writeInFlight = undefined
    await write
    this.checkErrorBudget()
    this.throwIfInterrupted()
    this.checkLock()
  }

  /** Without the gym's lock, another import of it may be writing: stop before the next batch. */
  private checkLock(): void {
    const lost = this.lock?.lost()
    if (lost !== undefined) {
      throw new ImportFailure(`lost the lock on gym ${this.options.gymId} (${lost}); stopped, keeping the whole batches already written`)
    }
  }

  /** `--max-errors`: checked between records and batches, so the summary always counts whole batches. */
  private checkErrorBudget(): void {
    const {maxErrors} = this.options
    if (maxErrors !== undefined && this.tally.errorCount > maxErrors) {
      throw new ImportFailure(
        `stopped after ${this.tally.errorCount} rejected records (--max-errors ${maxErrors}); whole batches already written are kept`,
      )
    }
  }

  private throwIfInterrupted(): void {
    const {signal} = this.options
    if (signal?.aborted) throw new ImportInterrupted(String(signal.reason ?? 'a signal'))
  }

  /**
   * Waits for Stokt, unless a signal comes first, or the batch in flight fails: neither a stop nor
   * a failure waits for a slow request (or for the next batch to be read).
   */
  private async fromSource<T>(call: () => Promise<T>): Promise<T> {
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

  private reject(entity: EntityName, stoktId: string | null, reason: string, raw: unknown): undefined {
    this.record(entity, {kind: 'error', stoktId, reason, raw})
    return undefined
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

  private track(entity: SummaryEntity, total: number | undefined): void {
    this.tally.track(entity)
    this.totals.set(entity, total)
    this.reporter.progress(entity, 0, total)
  }

  /** A total learnt along the way, shown at once. */
  private setTotal(entity: SummaryEntity, total: number): void {
    this.totals.set(entity, total)
    this.reporter.progress(entity, this.done.get(entity) ?? 0, total)
  }

  /** What a person knows a record by: its name, its face's wall. */
  private labelOf(entity: EntityName, row: SourceRow): RecordLabel {
    const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined)
    const faceStoktId = entity === 'face' ? String(row.stoktId) : (row.refs?.face_id?.stoktId ?? undefined)
    const name = text(row.values.name ?? row.values.full_name ?? row.values.display_name)
    return {...(name !== undefined ? {name} : {}), ...(faceStoktId ? {face: this.faceName(faceStoktId)} : {})}
  }

  private faceName(faceStoktId: string): string {
    return this.faceNames.get(faceStoktId) ?? `face ${faceStoktId}`
  }
}

/** A face's setup that Stokt answered 404 for. */
class MissingSetup {
  constructor(readonly message: string) {}
}

/** `climbSetters` as received: null when missing or null, so a climb without setter has no user. */
function setterOf(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object') return null
  return (raw as {climbSetters?: unknown}).climbSetters ?? null
}
