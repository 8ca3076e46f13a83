import type {Knex} from 'knex'

import {columnNames} from '../src/lib/db/liveSchema.js'

/**
 * `import_locks.host` and `.pid`, on a database whose `import_locks` an early version made without
 * them: those columns were added to 20261126000100_import_locks after it had shipped, and knex never
 * runs a recorded migration again, so every import there failed "no such column: host". A database
 * migrated since has them already, and is left as it is.
 */
export async function up(knex: Knex): Promise<void> {
  const columns = await columnNames(knex, 'import_locks')
  const addHost = !columns.includes('host')
  const addPid = !columns.includes('pid')
  if (!addHost && !addPid) return
  await knex.schema.alterTable('import_locks', (table) => {
    if (addHost) table.string('host', 255)
    if (addPid) table.integer('pid')
  })
}

/**
 * Nothing: the columns are import_locks' own as 20261126000100 makes it today (dropping them would
 * break that table for this version); rolled back past that migration, the table goes with them.
 */
export async function down(): Promise<void> {}
