import type {Knex} from 'knex'

import type {Dialect} from './target.js'
import {fromDatabaseValue, hexUuid, isNumericOnSqlite, toDatabaseValue} from './encodings.js'
import {charactersOver, readLiveTables, schemaProblems, SchemaMismatch, type LiveTable} from './liveSchema.js'
import {rowWriterFor, type ChangedRow, type ExistingRow, type NewRow, type RowWriter, type SoughtRow, type StoktKey} from './rowWriters.js'
import {roundInstant} from '../common/instant.js'
import {takeWriteLock, whileWriteLockBusy} from './sqliteBusy.js'
import {SERVER_TABLES, type OwnedValues, type TableSpec} from './tables.js'

export type {ChangedRow, ExistingRow, NewRow, SoughtRow, StoktKey} from './rowWriters.js'
export type {OwnedValues} from './tables.js'

/** Opaque to callers: a transaction of the store's own kind. */
export type StoreTransaction = {readonly __storeTransaction: unique symbol}

export interface RunRecord {
  id: string
  command: string
  strategy: string
  gymStoktId: string
  dryRun: boolean
  options: Record<string, unknown>
  startedAt: string
}

export interface RunRow extends RunRecord {
  finishedAt: string | null
  status: string
  summary: unknown
  error: string | null
}

export interface RunOutcome {
  status: string
  finishedAt: string
  summary: unknown
  error: string | null
  /** The options as they ended up (`--incremental` resolves its max age under the lock). */
  options?: Record<string, unknown>
}

export type TableCounts = Record<'gyms' | 'faces' | 'holds' | 'users' | 'climbs', number>

/** Everything the importer asks of the database. */
export interface ImportStore {
  readonly dialect: Dialect
  /**
   * Reads the server's tables as they are (the server owns them and may have moved on); throws
   * SchemaMismatch, naming each column, where the importer cannot write them.
   */
  inspectSchema(): Promise<void>
  /**
   * The values as the database keeps them, in place: an instant rounded to its column's precision
   * (a `timestamp(3)`), so that a re-run compares like with like and writes nothing.
   */
  keptValues(spec: TableSpec, values: OwnedValues): OwnedValues
  /**
   * Why the database cannot keep this record as the server reads it, naming the Stokt field: a value
   * longer than its column (the server's `VARCHAR(n)`), a Stokt id SQLite would turn into a number;
   * undefined when it can.
   */
  storageProblem(spec: TableSpec, stoktId: StoktKey, values: OwnedValues): string | undefined
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>
  /** Those of these tables that hold no row at all. */
  emptyTables(specs: readonly TableSpec[]): Promise<Set<TableSpec>>
  /**
   * The rows of these Stokt ids that exist, keyed by `String(stoktId)`: each with its stored values,
   * unless it is stored exactly as `values` would be written (nothing to compare).
   */
  findByStoktIds(tx: StoreTransaction, spec: TableSpec, rows: readonly SoughtRow[]): Promise<Map<string, ExistingRow>>
  insertRows(tx: StoreTransaction, spec: TableSpec, rows: readonly NewRow[], now: string): Promise<void>
  updateRows(tx: StoreTransaction, spec: TableSpec, rows: readonly ChangedRow[], now: string): Promise<void>
  /** `waiting`: the run waits for its gym's lock (`--wait-lock`), and says so until it holds it. */
  startRun(run: RunRecord, status: 'running' | 'waiting'): Promise<void>
  finishRun(id: string, outcome: RunOutcome): Promise<void>
  /** A waiting run that now holds its gym's lock. */
  markRunning(runId: string): Promise<void>
  /**
   * Called by `runId` once it holds the gym's lock: marks abandoned the runs of this gym whose
   * process died (SIGKILL, a crash, a lost machine): those still marked running (under the lock,
   * no other can be), and those still marked waiting past the end of their wait (`waitLock` in
   * their options) and a minute more. One still within its wait may be alive.
   */
  abandonDeadRuns(gymStoktId: string, runId: string, now: string): Promise<number>
  /** `gym`: only the runs of the gyms whose Stokt id starts with it. */
  latestRuns(limit: number, gym?: string): Promise<RunRow[]>
  /** Per gym, the latest run that completed and wrote (succeeded or partial, not a dry run). */
  lastCompletedRuns(gym?: string): Promise<RunRow[]>
  counts(): Promise<TableCounts>
  /** When the last completed climbs import of this gym started (`--incremental`). */
  readClimbsCursor(gymStoktId: string): Promise<string | undefined>
  writeClimbsCursor(tx: StoreTransaction, cursor: {gymStoktId: string; climbsStartedAt: string; runId: string; now: string}): Promise<void>
  /** The Stokt ids of the climbs from Stokt on this gym's faces. */
  climbStoktIdsOfGym(gymStoktId: string): Promise<string[]>
  /** How many they are. */
  countClimbsOfGym(gymStoktId: string): Promise<number>
  /** By Stokt id, each of these climbs' name and its face's Stokt id, to name them to a person. */
  describeClimbs(stoktIds: string[]): Promise<Map<string, {name: string; faceStoktId: string | null}>>
  /** After the last batch: what the import wrote moved into the database file proper (SQLite's WAL). */
  checkpoint(): Promise<void>
}

export class KnexImportStore implements ImportStore {
  private readonly rows: RowWriter
  /** The server's tables as the database has them, once inspected. */
  private live = new Map<string, LiveTable>()
  /** table → its text columns' widths, and its instant columns with fewer than six digits of fraction. */
  private readonly limits = new Map<string, {widths: [string, number][]; coarseInstants: [string, number][]}>()

  constructor(
    private readonly db: Knex,
    readonly dialect: Dialect,
  ) {
    this.rows = rowWriterFor(dialect, (spec, column) => this.live.get(spec.table)?.get(column.name)?.type)
  }

  async inspectSchema(): Promise<void> {
    const live = await readLiveTables(
      this.db,
      this.dialect,
      SERVER_TABLES.map((spec) => spec.table),
    )
    const problems = schemaProblems(this.dialect, SERVER_TABLES, live)
    if (problems.length > 0) throw new SchemaMismatch(problems.join('; '))
    this.live = live
    this.limits.clear()
    for (const spec of SERVER_TABLES) {
      const table = live.get(spec.table)!
      const widths: [string, number][] = []
      const coarseInstants: [string, number][] = []
      for (const [name, kind] of Object.entries(spec.columns)) {
        const column = table.get(name)!
        if (kind === 'text' && column.maxLength !== undefined) widths.push([name, column.maxLength])
        if (kind === 'instant' && column.instantDigits !== undefined && column.instantDigits < 6)
          coarseInstants.push([name, column.instantDigits])
      }
      this.limits.set(spec.table, {widths, coarseInstants})
    }
  }

  keptValues(spec: TableSpec, values: OwnedValues): OwnedValues {
    const coarse = this.limits.get(spec.table)?.coarseInstants
    if (!coarse) return values
    for (const [column, digits] of coarse) {
      const value = values[column]
      if (typeof value === 'string') values[column] = roundInstant(value, digits)
    }
    return values
  }

  storageProblem(spec: TableSpec, stoktId: StoktKey, values: OwnedValues): string | undefined {
    if (this.dialect === 'sqlite' && spec.stoktId === 'uuid' && isNumericOnSqlite(hexUuid(String(stoktId)))) {
      return `id: ${stoktId} cannot be kept in SQLite as the mastoc server stores UUIDs (its 32 hex digits read as a number, which SQLite stores rounded); PostgreSQL keeps it`
    }
    const widths = this.limits.get(spec.table)?.widths
    if (!widths) return undefined
    for (const [column, width] of widths) {
      const value = values[column]
      const characters = typeof value === 'string' ? charactersOver(value, width) : undefined
      // Rejected, never truncated: the record is kept whole or not at all.
      if (characters !== undefined)
        return `${spec.fields[column] ?? column}: is ${characters} characters, more than the ${width} of the server's ${spec.table}.${column}`
    }
    return undefined
  }

  /**
   * BEGIN and COMMIT sent straight on a connection of knex's pool, as the batch's statements are:
   * a knex transaction cost the client about a millisecond each on PostgreSQL, which a small
   * --batch-size pays once per batch. A failure rolls the whole transaction back, as before.
   */
  async transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const client = this.db.client as {acquireConnection(): Promise<unknown>; releaseConnection(connection: unknown): Promise<unknown>}
    // A file another process is writing: the whole transaction waits its turn (sqliteBusy.ts).
    return whileWriteLockBusy(this.db, async () => {
      const connection = await client.acquireConnection()
      try {
        await takeWriteLock(() => this.rows.begin(connection))
        let result: T
        try {
          result = await work({connection} as unknown as StoreTransaction)
          await this.rows.commit(connection)
        } catch (error) {
          // Nothing to roll back when the database already did (a failed COMMIT, a lost session).
          await this.rows.rollback(connection).catch(() => {})
          throw error
        }
        return result
      } finally {
        await client.releaseConnection(connection)
      }
    })
  }

  async emptyTables(specs: readonly TableSpec[]): Promise<Set<TableSpec>> {
    const empty = new Set<TableSpec>()
    for (const spec of specs) if ((await this.db(spec.table).first(this.db.raw('1 as present'))) === undefined) empty.add(spec)
    return empty
  }

  async findByStoktIds(tx: StoreTransaction, spec: TableSpec, rows: readonly SoughtRow[]) {
    return this.rows.find(connectionOf(tx), spec, rows)
  }

  async insertRows(tx: StoreTransaction, spec: TableSpec, rows: readonly NewRow[], now: string) {
    await this.rows.insert(connectionOf(tx), spec, rows, now)
  }

  async updateRows(tx: StoreTransaction, spec: TableSpec, rows: readonly ChangedRow[], now: string) {
    await this.rows.update(connectionOf(tx), spec, rows, now)
  }

  async startRun(run: RunRecord, status: 'running' | 'waiting') {
    await this.db('import_runs').insert({
      id: run.id,
      command: run.command,
      strategy: run.strategy,
      gym_stokt_id: run.gymStoktId,
      dry_run: toDatabaseValue(this.dialect, 'boolean', run.dryRun),
      options: JSON.stringify(run.options),
      started_at: run.startedAt,
      status,
    })
  }

  async finishRun(id: string, outcome: RunOutcome) {
    await this.db('import_runs')
      .where('id', id)
      .update({
        status: outcome.status,
        finished_at: outcome.finishedAt,
        summary: outcome.summary === undefined ? null : JSON.stringify(outcome.summary),
        error: outcome.error,
        ...(outcome.options ? {options: JSON.stringify(outcome.options)} : {}),
      })
  }

  async markRunning(runId: string): Promise<void> {
    await this.db('import_runs').where({id: runId, status: 'waiting'}).update({status: 'running'})
  }

  async abandonDeadRuns(gymStoktId: string, runId: string, now: string): Promise<number> {
    const waiting: {id: string; started_at: unknown; options: unknown}[] = await this.db('import_runs')
      .where({gym_stokt_id: gymStoktId, status: 'waiting'})
      .whereNot('id', runId)
      .select('id', 'started_at', 'options')
    const nowMs = Date.parse(now)
    const waitedOut = waiting
      .filter((row) => {
        const waitLock = Number((parseJson(row.options) as {waitLock?: unknown} | null)?.waitLock ?? 0)
        const startedMs = Date.parse(fromDatabaseValue('instant', row.started_at) as string)
        return startedMs + (waitLock + WAITING_GRACE_SECONDS) * 1000 < nowMs
      })
      .map((row) => row.id)
    return this.db('import_runs')
      .where({gym_stokt_id: gymStoktId})
      .where((query) => query.where('status', 'running').orWhereIn('id', waitedOut))
      .whereNot('id', runId)
      .update({
        status: 'abandoned',
        error: `the run ended without recording how (its process was killed or lost, or the database was out of reach as it ended); found at ${now} by run ${runId}`,
      })
  }

  async latestRuns(limit: number, gym?: string): Promise<RunRow[]> {
    if (!(await this.db.schema.hasTable('import_runs'))) return []
    const rows: Record<string, unknown>[] = await this.db('import_runs')
      .modify((query) => ofGym(query, gym))
      .orderBy('started_at', 'desc')
      .limit(limit)
    return rows.map((row) => this.runRow(row))
  }

  async lastCompletedRuns(gym?: string): Promise<RunRow[]> {
    if (!(await this.db.schema.hasTable('import_runs'))) return []
    const completed = () =>
      this.db('import_runs')
        .whereIn('status', ['succeeded', 'partial'])
        .andWhere('dry_run', toDatabaseValue(this.dialect, 'boolean', false) as number | boolean)
        .modify((query) => ofGym(query, gym))
    const rows: Record<string, unknown>[] = await completed()
      .select('import_runs.*')
      .whereIn(['gym_stokt_id', 'started_at'], completed().select('gym_stokt_id').max('started_at').groupBy('gym_stokt_id'))
      .orderBy('gym_stokt_id')
    return rows.map((row) => this.runRow(row))
  }

  async readClimbsCursor(gymStoktId: string): Promise<string | undefined> {
    const row = await this.db('import_cursors').where('gym_stokt_id', gymStoktId).first('climbs_started_at')
    return row ? (fromDatabaseValue('instant', row.climbs_started_at) as string) : undefined
  }

  async writeClimbsCursor(tx: StoreTransaction, cursor: {gymStoktId: string; climbsStartedAt: string; runId: string; now: string}) {
    // Built by knex, run on the transaction's own connection.
    const {sql, bindings} = this.db('import_cursors')
      .insert({gym_stokt_id: cursor.gymStoktId, climbs_started_at: cursor.climbsStartedAt, run_id: cursor.runId, updated_at: cursor.now})
      .onConflict('gym_stokt_id')
      .merge(['climbs_started_at', 'run_id', 'updated_at'])
      .toSQL()
      .toNative()
    await this.rows.run(connectionOf(tx), sql, bindings)
  }

  async climbStoktIdsOfGym(gymStoktId: string): Promise<string[]> {
    const rows: {stokt_id: string}[] = await this.climbsOfGym(gymStoktId).select('climbs.stokt_id')
    return rows.map((row) => fromDatabaseValue('uuid', row.stokt_id) as string)
  }

  async countClimbsOfGym(gymStoktId: string): Promise<number> {
    const [row] = await this.climbsOfGym(gymStoktId).count({count: '*'})
    return Number(row.count)
  }

  async describeClimbs(stoktIds: string[]): Promise<Map<string, {name: string; faceStoktId: string | null}>> {
    const described = new Map<string, {name: string; faceStoktId: string | null}>()
    // A few hundred at a time: clear of any limit on a statement's parameters.
    for (let start = 0; start < stoktIds.length; start += 500) {
      const chunk = stoktIds.slice(start, start + 500).map((id) => toDatabaseValue(this.dialect, 'uuid', id) as string)
      const rows: {stokt_id: string; name: string; face_stokt_id: string | null}[] = await this.db('climbs')
        .leftJoin('faces', 'faces.id', 'climbs.face_id')
        .whereIn('climbs.stokt_id', chunk)
        .select('climbs.stokt_id', 'climbs.name', 'faces.stokt_id as face_stokt_id')
      for (const row of rows) {
        const faceStoktId = row.face_stokt_id === null ? null : (fromDatabaseValue('uuid', row.face_stokt_id) as string)
        described.set(fromDatabaseValue('uuid', row.stokt_id) as string, {name: row.name, faceStoktId})
      }
    }
    return described
  }

  private climbsOfGym(gymStoktId: string): Knex.QueryBuilder {
    return (
      this.db('climbs')
        .join('faces', 'faces.id', 'climbs.face_id')
        .join('gyms', 'gyms.id', 'faces.gym_id')
        .where('gyms.stokt_id', toDatabaseValue(this.dialect, 'uuid', gymStoktId) as string)
        .andWhere('climbs.source', 'stokt')
        // A climb without a Stokt id is the server's own, whatever its `source` (a server's table may
        // default it to 'stokt'): never one that Stokt no longer serves.
        .whereNotNull('climbs.stokt_id')
    )
  }

  async checkpoint(): Promise<void> {
    // PASSIVE: never waits for readers (a mastoc server on the same file); they keep the WAL instead.
    if (this.dialect === 'sqlite') await this.db.raw('pragma wal_checkpoint(PASSIVE)')
  }

  private runRow(row: Record<string, unknown>): RunRow {
    return {
      id: String(row.id),
      command: String(row.command),
      strategy: String(row.strategy),
      gymStoktId: String(row.gym_stokt_id),
      dryRun: Boolean(row.dry_run),
      options: parseJson(row.options) as Record<string, unknown>,
      startedAt: fromDatabaseValue('instant', row.started_at) as string,
      finishedAt: fromDatabaseValue('instant', row.finished_at) as string | null,
      status: String(row.status),
      summary: parseJson(row.summary),
      error: (row.error as string | null) ?? null,
    }
  }

  async counts(): Promise<TableCounts> {
    const tables = ['gyms', 'faces', 'holds', 'users', 'climbs'] as const
    const counts = {} as TableCounts
    for (const table of tables) {
      if (!(await this.db.schema.hasTable(table))) {
        counts[table] = 0
        continue
      }
      const [row] = await this.db(table).count({n: '*'})
      counts[table] = Number(row.n)
    }
    return counts
  }
}

/** The runs of the gyms whose id starts with `gym` (a whole id, or its first characters as status shows them). */
function ofGym(query: Knex.QueryBuilder, gym: string | undefined): void {
  // Hex digits and dashes only (status checks): nothing in it that LIKE would read as a pattern.
  if (gym !== undefined) query.where('gym_stokt_id', 'like', `${gym.toLowerCase()}%`)
}

/** The driver's own connection the transaction runs on (better-sqlite3 Database, pg Client). */
function connectionOf(tx: StoreTransaction): unknown {
  return (tx as unknown as {connection: unknown}).connection
}

function parseJson(value: unknown): unknown {
  if (value === null || value === undefined) return null
  return typeof value === 'string' ? JSON.parse(value) : value
}

/** Past the end of its wait, a run still marked waiting is dead; the margin covers clocks that differ between hosts. */
const WAITING_GRACE_SECONDS = 60
