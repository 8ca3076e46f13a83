import {readFileSync} from 'node:fs'

import type {Knex} from 'knex'

import {hexUuid, sqliteInstant} from '../../src/lib/db/encodings.js'
import {dialectOf} from '../../src/lib/db/target.js'
import {sqlStatements} from './catalogue.js'

/** The mastoc server's DDL as it emits it (test/fixtures/mastoc-server/, with where it comes from). */
export function serverDdl(kind: 'sqlite' | 'postgres'): string {
  return readFileSync(new URL(`../fixtures/mastoc-server/schema.${kind}.sql`, import.meta.url), 'utf8')
}

export interface ServerTablesOptions {
  /** As a production server has them after its scripts/migrate_user_auth.py (the PostgreSQL file's header). */
  production?: boolean
  /** Changes the DDL's text before it runs: a server that has moved on. */
  edit?: (ddl: string) => string
}

/** Makes the server's tables, as the server does at start-up, in a database with none. */
export async function makeServerTables(db: Knex, options: ServerTablesOptions = {}): Promise<void> {
  const kind = dialectOf(db)
  let ddl = serverDdl(kind)
  if (options.production) {
    ddl = ddl
      .replace('is_active BOOLEAN NOT NULL', 'is_active BOOLEAN DEFAULT TRUE')
      .replace('role VARCHAR(20) NOT NULL', "role VARCHAR(20) DEFAULT 'user'")
      .replace(
        'CREATE UNIQUE INDEX ix_users_email ON users (email);',
        'CREATE UNIQUE INDEX ix_users_email ON users (email) WHERE email IS NOT NULL;',
      )
      .replace(
        'CREATE UNIQUE INDEX ix_users_username ON users (username);',
        'CREATE UNIQUE INDEX ix_users_username ON users (username) WHERE username IS NOT NULL;',
      )
  }
  if (options.edit) ddl = options.edit(ddl)
  for (const statement of sqlStatements(ddl)) await db.raw(statement)
}

/** A UUID as the server keeps it in this database: native on PostgreSQL, 32 hex digits on SQLite. */
export function storedUuid(db: Knex, uuid: string): string {
  return db.client.config.client === 'pg' ? uuid : hexUuid(uuid)
}

/** An instant (canonical `…Z`) as the server keeps it: naive UTC text on SQLite; PostgreSQL takes it as is. */
export function storedInstant(db: Knex, canonical: string): string {
  return db.client.config.client === 'pg' ? canonical.replace('Z', '') : sqliteInstant(canonical)
}

/** A setter row as another writer (another gym's import) would leave it, in the server's encodings. */
export async function insertStoktUser(db: Knex, stoktId: string, fullName: string): Promise<void> {
  const now = storedInstant(db, new Date().toISOString().replace('Z', '000Z'))
  await db('users').insert({
    id: storedUuid(db, crypto.randomUUID()),
    stokt_id: storedUuid(db, stoktId),
    full_name: fullName,
    is_active: true,
    role: 'user',
    source: 'stokt',
    created_at: now,
  })
}
