/** The row writer on SQLite: cached prepared statements on better-sqlite3's own connection. */
import type BetterSqlite3 from 'better-sqlite3'

import {toDatabaseValue} from './encodings.js'
import {existingRows, foundColumns, insertValues, quote, storedStoktIds, updateColumns, updateValues} from './rowValues.js'
import type {ChangedRow, NewRow, RowWriter, SoughtRow} from './rowWriters.js'
import {insertedColumns, type TableSpec} from './tables.js'

export class SqliteRowWriter implements RowWriter {
  /** Prepared statements per connection: preparing is a third of a naive import's time. */
  private readonly statements = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>()

  /**
   * BEGIN IMMEDIATE takes the write lock as it begins: a transaction that read, then wrote after another
   * connection's commit, would fail with SQLITE_BUSY_SNAPSHOT, which no wait cures (sqliteBusy.ts).
   */
  async begin(connection: unknown) {
    this.prepare(connection, 'begin immediate').run()
  }

  async commit(connection: unknown) {
    this.prepare(connection, 'commit').run()
  }

  async rollback(connection: unknown) {
    const database = connection as BetterSqlite3.Database
    // SQLite may have rolled back already (SQLITE_FULL, an interrupted statement).
    if (database.inTransaction) this.prepare(connection, 'rollback').run()
  }

  async run(connection: unknown, sql: string, bindings: readonly unknown[]) {
    this.prepare(connection, sql).run(bindings as unknown[])
  }

  async find(connection: unknown, spec: TableSpec, rows: readonly SoughtRow[]) {
    if (rows.length === 0) return []
    // One statement for any number of ids: they travel as one JSON array, and each row found comes with
    // its id's position in it. CROSS JOIN keeps json_each the outer loop: one index search per id.
    const statement = this.prepare(
      connection,
      `select ${foundColumns(spec, 'sought.key')} from json_each(?) as sought cross join ${quote(spec.table)} as stored on stored.stokt_id = sought.value`,
    )
    const found = statement.raw(true).all(JSON.stringify(storedStoktIds(spec, 'sqlite', rows))) as unknown[][]
    return existingRows(spec, 'sqlite', rows, found)
  }

  async insert(connection: unknown, spec: TableSpec, rows: readonly NewRow[], now: string) {
    if (rows.length === 0) return
    const columns = insertedColumns(spec)
    const statement = this.prepare(
      connection,
      `insert into ${quote(spec.table)} (${columns.map((column) => quote(column.name)).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
    )
    for (const row of rows) statement.run(insertValues(spec, row, now, 'sqlite'))
  }

  async update(connection: unknown, spec: TableSpec, rows: readonly ChangedRow[], now: string) {
    if (rows.length === 0) return
    const assignments = updateColumns(spec).map(({name}) => `${quote(name)} = ?`)
    const statement = this.prepare(connection, `update ${quote(spec.table)} set ${assignments.join(', ')} where id = ?`)
    const idKind = spec.id === 'uuid' ? 'uuid' : 'integer'
    for (const row of rows) statement.run([...updateValues(spec, row, now, 'sqlite'), toDatabaseValue('sqlite', idKind, row.id)])
  }

  private prepare(connection: unknown, sql: string): BetterSqlite3.Statement {
    const database = connection as BetterSqlite3.Database
    let cache = this.statements.get(database)
    if (!cache) this.statements.set(database, (cache = new Map()))
    let statement = cache.get(sql)
    if (!statement) cache.set(sql, (statement = database.prepare(sql)))
    return statement
  }
}
