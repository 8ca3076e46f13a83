/** What the import asks of the database, one interface per consumer; importer.ts checks that the db/ stores fit. */
import type {StoreTransaction} from '../db/rowStore.js'
import type {RunOutcome, RunRecord} from '../db/runHistory.js'
import type {ChangedRow, ExistingRow, NewRow, SoughtRow, StoktKey} from '../db/rowWriters.js'
import type {OwnedValues, TableSpec} from '../db/tables.js'

/** The server's tables as the upsert (upsert.ts), the strategies (strategy.ts) and the phases write them. */
export interface RowStore {
  /** Reads the server's tables as they are; throws SchemaMismatch, naming each column, where the importer cannot write them. */
  inspectSchema(): Promise<void>
  /** The values as the database keeps them (an instant rounded to a `timestamp(3)`), so that a re-run writes nothing. */
  keptValues(spec: TableSpec, values: OwnedValues): OwnedValues
  /** Why the database cannot keep this record as the server reads it (a value past its `VARCHAR(n)`…), naming the field. */
  storageProblem(spec: TableSpec, stoktId: StoktKey, values: OwnedValues): string | undefined
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>
  /** Those of these tables that hold no row at all. */
  emptyTables(specs: readonly TableSpec[]): Promise<Set<TableSpec>>
  /** The row stored for each sought row, in their order (undefined where none is); without values when stored exactly as it would be written. */
  findByStoktIds(tx: StoreTransaction, spec: TableSpec, rows: readonly SoughtRow[]): Promise<(ExistingRow | undefined)[]>
  insertRows(tx: StoreTransaction, spec: TableSpec, rows: readonly NewRow[], now: string): Promise<void>
  updateRows(tx: StoreTransaction, spec: TableSpec, rows: readonly ChangedRow[], now: string): Promise<void>
  /** After the last batch: what the import wrote moved into the database file proper (SQLite's WAL). */
  checkpoint(): Promise<void>
}

/** The run history as a run (importer.ts) records itself in it. */
export interface RunHistory {
  /** `waiting`: the run waits for its gym's lock (`--wait-lock`), and says so until it holds it. */
  startRun(run: RunRecord, status: 'running' | 'waiting'): Promise<void>
  finishRun(id: string, outcome: RunOutcome): Promise<void>
  /** A waiting run that now holds its gym's lock. */
  markRunning(runId: string): Promise<void>
  /** Under the lock: marks abandoned this gym's dead runs: those running, those waiting a minute past their `waitLock`. */
  abandonDeadRuns(gymStoktId: string, runId: string, now: string): Promise<number>
}

/** The `--incremental` cursor: read as a run starts, written with its last batch of climbs. */
export interface ClimbsCursor {
  /** When the last completed climbs import of this gym started. */
  readClimbsCursor(gymStoktId: string): Promise<string | undefined>
  /** In the transaction of the batch it commits with. */
  writeClimbsCursor(tx: StoreTransaction, cursor: {gymStoktId: string; climbsStartedAt: string; runId: string; now: string}): Promise<void>
}

/** A gym's climbs as stored: for the climbs Stokt no longer serves (missingClimbs.ts). */
export interface StoredClimbs {
  /** The Stokt ids of the climbs from Stokt on this gym's faces. */
  climbStoktIdsOfGym(gymStoktId: string): Promise<string[]>
  /** How many they are. */
  countClimbsOfGym(gymStoktId: string): Promise<number>
  /** By Stokt id, each of these climbs' name and its face's Stokt id, to name them to a person. */
  describeClimbs(stoktIds: string[]): Promise<Map<string, {name: string; faceStoktId: string | null}>>
}

/** What a run's phases (gymImporter.ts and the phases it runs) use. */
export interface PhaseStores {
  rows: RowStore
  cursor: ClimbsCursor
  climbs: StoredClimbs
}
