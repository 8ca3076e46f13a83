/** One run's phases, in order: the gym and its faces (facesPhase.ts), then the setters and climbs (climbsPhase.ts). */
import type {ImportLock} from '../db/importLock.js'
import {CLIMBS, FACES, GYMS, HOLDS, USERS} from '../db/tables.js'
import {nowInstant} from '../common/instant.js'
import {importClimbs} from './climbsPhase.js'
import {importGymAndFaces, noFaces} from './facesPhase.js'
import {PhaseContext} from './phaseContext.js'
import type {ImportOptions, ImportReporter, ImportResult, RunContext} from './ports.js'
import {PrefetchedPages} from './prefetchedPages.js'
import type {PhaseStores} from './stores.js'
import {createStrategy} from './strategy.js'
import {SummaryTally, type ImportSummary, type MissingClimbs, type Rejected} from './summary.js'
import {FirstImportTables, IdRegistry} from './upsert.js'

export class GymImporter {
  private readonly tally: SummaryTally
  /** Monotonic: a clock set during the run changes no duration. */
  private readonly startedMs = performance.now()
  private missing?: MissingClimbs

  constructor(
    private readonly options: ImportOptions,
    private readonly run: RunContext,
    private readonly stores: PhaseStores,
    private readonly reporter: ImportReporter,
  ) {
    this.tally = new SummaryTally({collectChanges: options.dryRun})
  }

  /** Runs every phase, holding `lock`; made before the lock is taken, for partialSummary to answer however the run ends. */
  async importAll(run: {lock: ImportLock; onRejected?: (rejected: Rejected, record: unknown) => void}): Promise<ImportResult> {
    const {command, source, gymId, dryRun} = this.options
    // Read under the gym's lock, before anything is written.
    const firstImport = new FirstImportTables(await this.stores.rows.emptyTables([GYMS, FACES, HOLDS, USERS, CLIMBS]))
    const strategy = createStrategy(this.options.strategy, {
      store: this.stores.rows,
      ids: new IdRegistry(),
      dryRun,
      now: () => nowInstant(),
      firstImport,
    })
    const context = new PhaseContext({
      options: this.options,
      reporter: this.reporter,
      tally: this.tally,
      strategy,
      lock: run.lock,
      onRejected: run.onRejected,
    })
    // The climbs start arriving while the gym, faces and holds are written: fetching overlaps writing.
    const climbPages = command === 'holds' ? undefined : new PrefetchedPages(source.climbPages(gymId, this.run.maxAge))
    try {
      const faces = command === 'users' ? noFaces() : await importGymAndFaces(context, command !== 'climbs')
      if (climbPages) {
        const parts = {context, run: this.run, stores: this.stores, faces, withClimbs: command !== 'users'}
        this.missing = await importClimbs(climbPages, parts)
      }
      await context.drainWrites()
      if (!dryRun) await this.stores.rows.checkpoint()
    } finally {
      climbPages?.close()
      await context.settled()
    }
    return {summary: this.partialSummary()}
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
}
