import {openSqliteToRead} from '../../src/lib/db/connection.js'
import {knexReader, sqliteReader, type SqlReader} from '../../src/lib/db/sqlReader.js'
import {parseDatabaseTarget} from '../../src/lib/db/target.js'
import type {TestDatabase} from './databases.js'

/** What `mastoc status` reads `database` with: better-sqlite3 itself on SQLite, knex on PostgreSQL. */
export function statusReader(database: TestDatabase): SqlReader & {close(): void} {
  if (database.kind === 'postgres') return {...knexReader(database.knex(), 'postgres'), close() {}}
  const sqlite = openSqliteToRead(parseDatabaseTarget(database.url))
  return {...sqliteReader(sqlite), close: () => sqlite.close()}
}
