import type {DatabaseTarget} from '../db/target.js'
import type {StoktSource} from '../stokt/source.js'
import type {StrategyName} from './strategy.js'
import type {ImportSummary, SummaryEntity} from './summary.js'

/** What the import service takes and gives: the options of a run, its output, its result. */
export type ImportCommand = 'holds' | 'users' | 'climbs' | 'all'

export interface ImportOptions {
  command: ImportCommand
  database: DatabaseTarget
  gymId: string
  /** Opened by the caller; closed here. */
  source: StoktSource
  strategy: StrategyName
  batchSize: number
  dryRun: boolean
  maxAge: number
  /** `--incremental`: max age from the last completed climbs import instead of `maxAge`. */
  incremental?: boolean
  /** Face setups fetched at once. */
  concurrency: number
  /** Recorded in the run history: the flags that matter, never a secret. */
  recordedOptions: Record<string, unknown>
  /** `--rejects FILE`: the rejected records as received, one JSON line each. */
  rejectsPath?: string
  /** `--max-errors N`: past N rejected records the run stops (exit 1). */
  maxErrors?: number
  /** Aborted by SIGINT/SIGTERM: the run stops once the current batch is committed or rolled back. */
  signal?: AbortSignal
  /** `--wait-lock`: how long to wait for another import of the same gym to finish. */
  waitLockSeconds?: number
  /** How often the run renews the gym's lock, and finds out it lost it; default 5 s (LOCK_DEFAULTS). */
  lockHeartbeatMs?: number
}

/** Output, decided by the caller: progress bars, plain lines, or nothing. */
export interface ImportReporter {
  phase(message: string): void
  progress(entity: SummaryEntity, done: number, total: number | undefined): void
  warn(message: string): void
  /** Not a problem, but a person watching should know (the run waits for a lock): not under --quiet. */
  notice(message: string): void
}

export interface ImportResult {
  /** What was imported; `rejected` lists each record the run could not import. */
  summary: ImportSummary
}

export const silentReporter: ImportReporter = {phase() {}, progress() {}, warn() {}, notice() {}}

/** One run as the import knows it. */
export interface RunContext {
  id: string
  startedAt: string
  /** The `max_age` asked of Stokt, once `--incremental` is resolved. */
  maxAge: number
}
