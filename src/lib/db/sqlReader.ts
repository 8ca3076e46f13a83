import type BetterSqlite3 from 'better-sqlite3'
import type {Knex} from 'knex'

import {openDatabase, openSqliteToRead, sessionEndedBy} from './connection.js'
import type {DatabaseTarget, Dialect} from './target.js'

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

/** A reader on the database `target` names, to read only, and how to close it. */
export interface OpenReader extends SqlReader {
  close(): Promise<void>
  /** PostgreSQL's reason for ending the session, which a failed query no longer gives. */
  sessionEnded(): Error | undefined
}

export function openReader(target: DatabaseTarget): OpenReader {
  if (target.dialect === 'postgres') {
    const db = openDatabase(target, {readOnly: true})
    return {...knexReader(db, 'postgres'), close: () => db.destroy(), sessionEnded: () => sessionEndedBy(db)}
  }
  const database = openSqliteToRead(target)
  return {...sqliteReader(database), close: async () => void database.close(), sessionEnded: () => undefined}
}
