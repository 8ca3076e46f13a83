import type {Knex} from 'knex'

import type {Dialect} from './target.js'
import {isUuidNumericOnSqlite} from './encodings.js'
import {charactersOver, readLiveTables, schemaProblems, SchemaMismatch, type LiveTable} from './liveSchema.js'
import {rowWriterFor, type ChangedRow, type ExistingRow, type NewRow, type RowWriter, type SoughtRow, type StoktKey} from './rowWriters.js'
import {roundInstant} from '../common/instant.js'
import {takeWriteLock, whileWriteLockBusy} from './sqliteBusy.js'
import {SERVER_TABLES, type OwnedValues, type TableSpec} from './tables.js'

/** The server's tables as the upsert writes them: the schema checked, values fitted, the batch's transaction, its rows. */

/** Opaque to callers: a transaction of the row store's own kind. */
export type StoreTransaction = {readonly __storeTransaction: unique symbol}

/** The driver's own connection the transaction runs on (better-sqlite3 Database, pg Client). */
export function connectionOf(tx: StoreTransaction): unknown {
  return (tx as unknown as {connection: unknown}).connection
}

export class KnexRowStore {
  private readonly rows: RowWriter
  /** The server's tables as the database has them, once inspected. */
  private live = new Map<string, LiveTable>()
  /** table → its text columns' widths, and its instant columns with fewer than six digits of fraction. */
  private readonly limits = new Map<string, {widths: [string, number][]; coarseInstants: [string, number][]}>()

  constructor(
    private readonly db: Knex,
    private readonly dialect: Dialect,
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
    if (this.dialect === 'sqlite' && spec.stoktId === 'uuid' && isUuidNumericOnSqlite(String(stoktId))) {
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

  /** BEGIN and COMMIT straight on a connection of knex's pool: a knex transaction costs a small --batch-size (performance.md). */
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

  async findByStoktIds(tx: StoreTransaction, spec: TableSpec, rows: readonly SoughtRow[]): Promise<(ExistingRow | undefined)[]> {
    return this.rows.find(connectionOf(tx), spec, rows)
  }

  async insertRows(tx: StoreTransaction, spec: TableSpec, rows: readonly NewRow[], now: string): Promise<void> {
    await this.rows.insert(connectionOf(tx), spec, rows, now)
  }

  async updateRows(tx: StoreTransaction, spec: TableSpec, rows: readonly ChangedRow[], now: string): Promise<void> {
    await this.rows.update(connectionOf(tx), spec, rows, now)
  }

  async checkpoint(): Promise<void> {
    // PASSIVE: never waits for readers (a mastoc server on the same file); they keep the WAL instead.
    if (this.dialect === 'sqlite') await this.db.raw('pragma wal_checkpoint(PASSIVE)')
  }
}
