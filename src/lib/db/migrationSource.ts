import type {Knex} from 'knex'

import * as initial from '../../../migrations/20261126000000_initial.js'
import * as importLocks from '../../../migrations/20261126000100_import_locks.js'
import * as importCursors from '../../../migrations/20261126000200_import_cursors.js'
import * as importLocksHost from '../../../migrations/20261126000300_import_locks_host.js'
import * as serverLayout from '../../../migrations/20261205000000_server_layout.js'

interface Migration {
  up(knex: Knex): Promise<void>
  down(knex: Knex): Promise<void>
  /** `transaction: false`: the migration manages its own (knex reads this per migration). */
  config?: {transaction?: boolean}
}

/** The migrations, imported, not globbed: the same names recorded from the built CLI, vitest and knexfile.ts. */
const MIGRATIONS: ReadonlyArray<[name: string, migration: Migration]> = [
  ['20261126000000_initial', initial],
  ['20261126000100_import_locks', importLocks],
  ['20261126000200_import_cursors', importCursors],
  ['20261126000300_import_locks_host', importLocksHost],
  ['20261205000000_server_layout', serverLayout],
]

export class MastocMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return MIGRATIONS.map(([name]) => name)
  }

  getMigrationName(name: string): string {
    return name
  }

  async getMigration(name: string): Promise<Migration> {
    const found = MIGRATIONS.find(([candidate]) => candidate === name)
    if (!found) throw new Error(`unknown migration ${name}`)
    return found[1]
  }
}
