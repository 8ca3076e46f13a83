import type {Knex} from 'knex'

/**
 * Where `--incremental` starts from: per gym, when the last completed climbs import started. It is
 * written in the transaction of that run's last batch, so it never runs ahead of the data.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('import_cursors', (table) => {
    table.string('gym_stokt_id', 36).primary()
    table.timestamp('climbs_started_at', {useTz: true, precision: 6}).notNullable()
    table.uuid('run_id').notNullable()
    table.timestamp('updated_at', {useTz: true, precision: 6}).notNullable()
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('import_cursors')
}
