import type {DatabaseKind} from '../support/databases.js'
import type {BatchWrite, BatchWriteStrategy} from './batchWrites.js'
import type {FetchFloor, InsertFloor, SourceRead} from './floors.js'
import type {BenchOptions, SizePreset} from './options.js'
import {DEFAULT_BATCH_SIZE} from '../../src/flags.js'

/** What the bench measured; results.json is this, plus the goals. */

/** `curve`: live, in the batch-size curve's block of the round. `latency`: Stokt ignores `page_size` (pages of PAGE_SIZE); `latency-paged`: it honours the one asked for. */
export type ImportMode = 'live' | 'curve' | 'rerun' | 'snapshot' | 'snapshot-rerun' | 'row-by-row' | 'latency' | 'latency-paged'

export interface ImportSample {
  /** The CLI process, spawn to exit (node start-up and migrations included). */
  wallMs: number
  /** The summary's `durationMs`: the import itself, as the CLI times it. */
  cliMs: number
  peakRssKb: number | undefined
  /** Rows the summary counts (faces, holds, users, climbs). */
  rows: number
  /** Stokt requests the server saw during the run (live imports). */
  requests?: number
  /** Re-runs: the summary says every record is unchanged, none created, updated or rejected. */
  allUnchanged?: boolean
  /** Re-runs: every row of every table is the same before and after (run.ts: tableFingerprint). */
  wroteNoRow?: boolean
}

export interface ImportSeries {
  db: DatabaseKind
  mode: ImportMode
  batchSize: number | null
  latencyMs: number
  /** `--page-size` given (latency-paged runs); null: the CLI's default. */
  pageSize?: number | null
  samples: ImportSample[]
}

export interface Failure {
  size: string
  task: string
  round: number
  message: string
}

export interface SizeResult {
  size: SizePreset
  /** Rows of the gym, per table (the floors' rows). */
  rows: Record<string, number>
  fetchFloor: FetchFloor[]
  /** The same walk through node:http (fetchFloor.ts --http): reported beside the floor, not used by a goal. */
  httpFetchFloor: FetchFloor[]
  /** The importer's StoktClient fetching the same pages (sourceRead.ts): the bound of a re-run. */
  clientFetch: SourceRead[]
  /** The same, each record also validated and mapped to its row as the importer does: what a live re-run cannot go below. */
  clientValidate: SourceRead[]
  /** The importer's SnapshotSource reading the gym's snapshot, without and with that validation and mapping. */
  snapshotRead: SourceRead[]
  snapshotValidate: SourceRead[]
  insertFloor: Partial<Record<DatabaseKind, InsertFloor[]>>
  /** The reference gym: SQLite's bare insert with a transaction every N rows of each table (N of the batch-size curve), its total time per run. */
  sqliteCommitFloor: Record<number, number[]>
  /** PostgreSQL upserts in batches, per strategy (batchWrites.ts); the reference gym only. */
  batchWrites: Partial<Record<BatchWriteStrategy, BatchWrite[]>>
  imports: ImportSeries[]
}

/** Start-up, whole processes (startup.ts): per case, every run's wall time. */
export interface StartupSeries {
  label: string
  samplesMs: number[]
}

/** What the report is made of: everything a bench run measured. */
export interface ReportInput {
  date: string
  machine: Machine
  build: {start: Build; end: Build}
  options: BenchOptions
  databases: DatabaseKind[]
  planNotes: string[]
  results: SizeResult[]
  startup: StartupSeries[]
  failures: Failure[]
  benchWallMs: number
}

export interface Machine {
  cpu: string
  cores: number
  memoryGiB: number
  node: string
  sqlite: string
  postgres: string | null
  platform: string
  /** os.loadavg() (1, 5, 15 min) when the bench started and ended: other work on the machine skews the numbers. */
  loadAverage: {start: number[]; end?: number[]}
}

export interface Build {
  commit: string | null
  /** src/ or migrations/ differ from the commit. */
  uncommittedChanges: boolean | null
  /** A hash of the .js files under dist/, which the CLI runs. */
  distSha256: string
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

export function max(values: readonly (number | undefined)[]): number | undefined {
  const defined = values.filter((value): value is number => value !== undefined)
  return defined.length === 0 ? undefined : Math.max(...defined)
}

export function findSeries(
  result: SizeResult | undefined,
  db: DatabaseKind,
  mode: ImportMode,
  batchSize: number | null = mode === 'row-by-row' ? null : DEFAULT_BATCH_SIZE,
  pageSize: number | null = null,
): ImportSeries | undefined {
  return result?.imports.find(
    (series) => series.db === db && series.mode === mode && series.batchSize === batchSize && (series.pageSize ?? null) === pageSize,
  )
}

export function medianWall(series: ImportSeries | undefined): number | undefined {
  return median(series?.samples.map((sample) => sample.wallMs) ?? [])
}

/**
 * The import's own time (the summary's durationMs): what the goals compare with the floors, which
 * are timed in-process too. The wall time adds node's start-up and opening and migrating the
 * database, the same few tenths of a second for every run, shown beside it in the tables.
 */
export function medianImportTime(series: ImportSeries | undefined): number | undefined {
  return median(series?.samples.map((sample) => sample.cliMs) ?? [])
}

export function medianFetchFloor(result: SizeResult | undefined): number | undefined {
  return median(result?.fetchFloor.map((floor) => floor.totalMs) ?? [])
}

export function medianHttpFetchFloor(result: SizeResult | undefined): number | undefined {
  return median(result?.httpFetchFloor.map((floor) => floor.totalMs) ?? [])
}

export function medianClientFetch(result: SizeResult | undefined): number | undefined {
  return median(result?.clientFetch.map((fetch) => fetch.totalMs) ?? [])
}

/** The median time of these reads by the importer's source (sourceRead.ts). */
export function medianRead(reads: readonly SourceRead[] | undefined): number | undefined {
  return median(reads?.map((read) => read.totalMs) ?? [])
}

export function medianReadBack(result: SizeResult | undefined, db: DatabaseKind): number | undefined {
  return median(result?.insertFloor[db]?.map((floor) => floor.readBackMs) ?? [])
}

/** The reading thread's busy time of the read back: on PostgreSQL the server's share runs beside it, in its own process. */
export function medianReadBackBusy(result: SizeResult | undefined, db: DatabaseKind): number | undefined {
  return median(result?.insertFloor[db]?.map((floor) => floor.readBackBusyMs) ?? [])
}

/** The median CPU time of these fetches (fetch floor or the importer's client). */
export function medianFetchCpu(fetches: readonly FetchFloor[] | undefined): number | undefined {
  return median(fetches?.map((fetch) => fetch.cpuMs) ?? [])
}

export function medianInsertFloor(result: SizeResult | undefined, db: DatabaseKind): number | undefined {
  return median(result?.insertFloor[db]?.map((floor) => floor.totalMs) ?? [])
}

/** SQLite's bare insert committing every `rowsPerCommit` rows. */
export function medianSqliteCommitFloor(result: SizeResult | undefined, rowsPerCommit: number): number | undefined {
  return median(result?.sqliteCommitFloor[rowsPerCommit] ?? [])
}

export function medianBatchWrite(result: SizeResult | undefined, strategy: BatchWriteStrategy, pass: keyof BatchWrite): number | undefined {
  return median(result?.batchWrites[strategy]?.map((write) => write[pass].totalMs) ?? [])
}

export function medianBatchWriteCpu(
  result: SizeResult | undefined,
  strategy: BatchWriteStrategy,
  pass: keyof BatchWrite,
): number | undefined {
  return median(result?.batchWrites[strategy]?.map((write) => write[pass].clientCpuMs) ?? [])
}

/** The CLI's default --batch-size, the batch size of every import but the curve's. */
export {DEFAULT_BATCH_SIZE}
/** The CLI's default --concurrency, passed explicitly to the latency runs. */
export const CONCURRENCY = 4
export const LATENCY_MS = 50
/** Climbs per page, as Stokt pages them. */
export const PAGE_SIZE = 30
export const CURVE_BATCH_SIZES = [25, 100, 250, 500, 1000, 2500] as const
/** How users wrote it: compared with the best of the curve. */
export const USERS_BATCH_SIZE = 100
/** The CLI's default --page-size, asked of Stokt in every import. */
export {DEFAULT_PAGE_SIZE} from '../../src/flags.js'
/** --page-size values tried against a Stokt that honours it, at LATENCY_MS (the default is the latency-paged run). */
export const CURVE_PAGE_SIZES = [100, 250, 500, 1000, 2500] as const
