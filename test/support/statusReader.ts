import {openReader, type OpenReader} from '../../src/lib/db/sqlReader.js'
import {parseDatabaseTarget} from '../../src/lib/db/target.js'
import type {TestDatabase} from './databases.js'

/** What `mastoc status` reads `database` with: better-sqlite3 itself on SQLite, knex on PostgreSQL. */
export function statusReader(database: TestDatabase): OpenReader {
  return openReader(parseDatabaseTarget(database.url))
}
