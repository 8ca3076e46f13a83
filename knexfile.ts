/**
 * For the knex CLI: `npm run knex -- migrate:latest` (DATABASE_URL, else ./mastoc.db).
 * The importer itself runs the same migrations before every import (`mastoc db migrate`).
 */
import type {Knex} from 'knex'

import {MastocMigrationSource} from './src/lib/db/migrationSource.js'
import {parseDatabaseTarget} from './src/lib/db/target.js'

const target = parseDatabaseTarget(process.env.DATABASE_URL ?? './mastoc.db')

const config: Knex.Config =
  target.dialect === 'postgres'
    ? {client: 'pg', connection: target.location, migrations: {migrationSource: new MastocMigrationSource()}}
    : {
        client: 'better-sqlite3',
        connection: {filename: target.location},
        useNullAsDefault: true,
        migrations: {migrationSource: new MastocMigrationSource()},
      }

export default config
