import {randomUUID} from 'node:crypto'
import type {Knex} from 'knex'

import {toCanonicalInstant} from '../import/instant.js'
import type {Dialect} from './connection.js'
import type {ColumnKind, TableSpec} from './tables.js'

export type StoktKey = string | number

/** A row as the importer compares it: Stokt-owned columns in canonical JS values. */
export type OwnedValues = Record<string, unknown>

export interface ExistingRow {
  id: string | number
  values: OwnedValues
}

export interface NewRow {
  id?: string
  stoktId: StoktKey
  values: OwnedValues
}

export interface ChangedRow {
  id: string | number
  values: OwnedValues
}

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
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>
  /** The rows of these Stokt ids that exist, keyed by `String(stoktId)`. */
  findByStoktIds(tx: StoreTransaction, spec: TableSpec, stoktIds: readonly StoktKey[]): Promise<Map<string, ExistingRow>>
  insertRows(tx: StoreTransaction, spec: TableSpec, rows: readonly NewRow[], now: string): Promise<void>
  updateRows(tx: StoreTransaction, spec: TableSpec, rows: readonly ChangedRow[], now: string): Promise<void>
  startRun(run: RunRecord): Promise<void>
  finishRun(id: string, outcome: RunOutcome): Promise<void>
  latestRuns(limit: number): Promise<RunRow[]>
  /** Per gym, the latest run that completed and wrote (succeeded or partial, not a dry run). */
  lastCompletedRuns(): Promise<RunRow[]>
  counts(): Promise<TableCounts>
  /** When the last completed climbs import of this gym started (`--incremental`). */
  readClimbsCursor(gymStoktId: string): Promise<string | undefined>
  writeClimbsCursor(tx: StoreTransaction, cursor: {gymStoktId: string; climbsStartedAt: string; runId: string; now: string}): Promise<void>
  /** The Stokt ids of the climbs from Stokt on this gym's faces. */
  climbStoktIdsOfGym(gymStoktId: string): Promise<string[]>
}

/** Bound-parameter ceilings, with room to spare: SQLite 32,766; PostgreSQL 65,535. */
const MAX_PARAMETERS: Record<Dialect, number> = {sqlite: 30_000, postgres: 60_000}
/** knex builds SQLite multi-row inserts as a compound SELECT, which fails past 500 terms. */
const MAX_ROWS_PER_INSERT = 500

export class KnexImportStore implements ImportStore {
  constructor(
    private readonly db: Knex,
    readonly dialect: Dialect,
  ) {}

  async transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    return this.db.transaction((trx) => work(trx as unknown as StoreTransaction))
  }

  async findByStoktIds(tx: StoreTransaction, spec: TableSpec, stoktIds: readonly StoktKey[]) {
    const found = new Map<string, ExistingRow>()
    const columns = ['id', 'stokt_id', ...Object.keys(spec.columns)]
    for (const chunk of chunks(stoktIds, Math.floor(MAX_PARAMETERS[this.dialect] / 2))) {
      const rows: Record<string, unknown>[] = await knexOf(tx)(spec.table).select(columns).whereIn('stokt_id', chunk)
      for (const row of rows) {
        found.set(String(row.stokt_id), {id: row.id as string | number, values: this.fromDatabase(spec, row)})
      }
    }
    return found
  }

  async insertRows(tx: StoreTransaction, spec: TableSpec, rows: readonly NewRow[], now: string) {
    if (rows.length === 0) return
    const records = rows.map((row) => ({
      ...(spec.id === 'uuid' ? {id: row.id ?? randomUUID()} : {}),
      stokt_id: row.stoktId,
      ...this.toDatabase(spec, row.values),
      ...(spec.source ? {source: 'stokt'} : {}),
      ...('created_at' in spec.columns ? {} : {created_at: now}),
      updated_at: now,
      ...(spec.syncedAt ? {synced_at: now} : {}),
    }))
    const perStatement = Math.min(MAX_ROWS_PER_INSERT, Math.floor(MAX_PARAMETERS[this.dialect] / Object.keys(records[0]).length))
    for (const chunk of chunks(records, perStatement)) {
      await knexOf(tx)(spec.table).insert(chunk)
    }
  }

  async updateRows(tx: StoreTransaction, spec: TableSpec, rows: readonly ChangedRow[], now: string) {
    for (const row of rows) {
      await knexOf(tx)(spec.table)
        .where('id', row.id)
        .update({...this.toDatabase(spec, row.values), updated_at: now, ...(spec.syncedAt ? {synced_at: now} : {})})
    }
  }

  async startRun(run: RunRecord) {
    await this.db('import_runs').insert({
      id: run.id,
      command: run.command,
      strategy: run.strategy,
      gym_stokt_id: run.gymStoktId,
      dry_run: this.toDatabaseValue('boolean', run.dryRun),
      options: JSON.stringify(run.options),
      started_at: run.startedAt,
      status: 'running',
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

  async latestRuns(limit: number): Promise<RunRow[]> {
    const rows: Record<string, unknown>[] = await this.db('import_runs').orderBy('started_at', 'desc').limit(limit)
    return rows.map((row) => this.runRow(row))
  }

  async lastCompletedRuns(): Promise<RunRow[]> {
    const completed = () =>
      this.db('import_runs').whereIn('status', ['succeeded', 'partial']).andWhere('dry_run', this.toDatabaseValue('boolean', false) as number | boolean)
    const rows: Record<string, unknown>[] = await completed()
      .select('import_runs.*')
      .whereIn(['gym_stokt_id', 'started_at'], completed().select('gym_stokt_id').max('started_at').groupBy('gym_stokt_id'))
      .orderBy('gym_stokt_id')
    return rows.map((row) => this.runRow(row))
  }

  async readClimbsCursor(gymStoktId: string): Promise<string | undefined> {
    const row = await this.db('import_cursors').where('gym_stokt_id', gymStoktId).first('climbs_started_at')
    return row ? (this.fromDatabaseValue('instant', row.climbs_started_at) as string) : undefined
  }

  async writeClimbsCursor(tx: StoreTransaction, cursor: {gymStoktId: string; climbsStartedAt: string; runId: string; now: string}) {
    await knexOf(tx)('import_cursors')
      .insert({gym_stokt_id: cursor.gymStoktId, climbs_started_at: cursor.climbsStartedAt, run_id: cursor.runId, updated_at: cursor.now})
      .onConflict('gym_stokt_id')
      .merge(['climbs_started_at', 'run_id', 'updated_at'])
  }

  async climbStoktIdsOfGym(gymStoktId: string): Promise<string[]> {
    const rows: {stokt_id: string}[] = await this.db('climbs')
      .join('faces', 'faces.id', 'climbs.face_id')
      .join('gyms', 'gyms.id', 'faces.gym_id')
      .where('gyms.stokt_id', gymStoktId)
      .andWhere('climbs.source', 'stokt')
      .select('climbs.stokt_id')
    return rows.map((row) => row.stokt_id)
  }

  private runRow(row: Record<string, unknown>): RunRow {
    return {
      id: String(row.id),
      command: String(row.command),
      strategy: String(row.strategy),
      gymStoktId: String(row.gym_stokt_id),
      dryRun: Boolean(row.dry_run),
      options: parseJson(row.options) as Record<string, unknown>,
      startedAt: this.fromDatabaseValue('instant', row.started_at) as string,
      finishedAt: this.fromDatabaseValue('instant', row.finished_at) as string | null,
      status: String(row.status),
      summary: parseJson(row.summary),
      error: (row.error as string | null) ?? null,
    }
  }

  async counts(): Promise<TableCounts> {
    const tables = ['gyms', 'faces', 'holds', 'users', 'climbs'] as const
    const counts = {} as TableCounts
    for (const table of tables) {
      const [row] = await this.db(table).count({n: '*'})
      counts[table] = Number(row.n)
    }
    return counts
  }

  private toDatabase(spec: TableSpec, values: OwnedValues): Record<string, unknown> {
    const record: Record<string, unknown> = {}
    for (const [column, kind] of Object.entries(spec.columns)) record[column] = this.toDatabaseValue(kind, values[column])
    return record
  }

  private fromDatabase(spec: TableSpec, row: Record<string, unknown>): OwnedValues {
    const values: OwnedValues = {}
    for (const [column, kind] of Object.entries(spec.columns)) values[column] = this.fromDatabaseValue(kind, row[column])
    return values
  }

  private toDatabaseValue(kind: ColumnKind, value: unknown): unknown {
    if (value === null || value === undefined) return null
    if (kind === 'boolean') return this.dialect === 'sqlite' ? (value ? 1 : 0) : Boolean(value)
    if (kind === 'json') return JSON.stringify(value)
    return value
  }

  private fromDatabaseValue(kind: ColumnKind, value: unknown): unknown {
    if (value === null || value === undefined) return null
    switch (kind) {
      case 'boolean':
        return Boolean(value)
      case 'json':
        return typeof value === 'string' ? JSON.parse(value) : value
      case 'instant':
        return toCanonicalInstant(String(value)) ?? String(value)
      case 'integer':
      case 'real':
        return Number(value)
      default:
        return value
    }
  }
}

function knexOf(tx: StoreTransaction): Knex.Transaction {
  return tx as unknown as Knex.Transaction
}

function parseJson(value: unknown): unknown {
  if (value === null || value === undefined) return null
  return typeof value === 'string' ? JSON.parse(value) : value
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = []
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size))
  return result
}
