import type {Knex} from 'knex'

/**
 * Who holds the import lock of each gym (src/lib/db/importLock.ts). On SQLite the row is the lock
 * itself, kept alive by `heartbeat_at`; on PostgreSQL the lock is an advisory lock and the row only
 * names its holder, for the run that finds it busy and for `mastoc status`.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('import_locks', (table) => {
    table.string('gym_stokt_id', 36).primary()
    table.uuid('run_id').notNullable()
    table.text('holder').notNullable()
    // Where the holder runs: a SQLite lock of a process that no longer exists on this host is free.
    table.string('host', 255)
    table.integer('pid')
    table.timestamp('acquired_at', {useTz: true, precision: 6}).notNullable()
    table.timestamp('heartbeat_at', {useTz: true, precision: 6}).notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('import_locks')
}
