import type BetterSqlite3 from 'better-sqlite3'
import type {Knex} from 'knex'

import type {Dialect} from './target.js'

/** Plain SQL to read with, for `mastoc status`: on knex for PostgreSQL, on better-sqlite3 for SQLite (no knex to load). */
export interface SqlReader {
  readonly dialect: Dialect
  rows(sql: string, bindings?: readonly unknown[]): Promise<Record<string, unknown>[]>
  hasTable(table: string): Promise<boolean>
}

export function knexReader(db: Knex, dialect: Dialect): SqlReader {
  return {
    dialect,
    async rows(sql, bindings = []) {
      const result = await db.raw(sql, bindings as Knex.RawBinding[])
      return Array.isArray(result) ? result : (result as {rows: Record<string, unknown>[]}).rows
    },
    hasTable: (table) => db.schema.hasTable(table),
  }
}

export function sqliteReader(database: BetterSqlite3.Database): SqlReader {
  return {
    dialect: 'sqlite',
    async rows(sql, bindings = []) {
      return database.prepare(sql).all(...bindings) as Record<string, unknown>[]
    },
    async hasTable(table) {
      return database.prepare(`select 1 from sqlite_master where type = 'table' and name = ?`).get(table) !== undefined
    },
  }
}
