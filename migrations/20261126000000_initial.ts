import type {Knex} from 'knex'

/**
 * The importer's first layout of the five tables (20261205000000_server_layout replaces it with the
 * mastoc server's own). Instants are `timestamptz` on PostgreSQL and canonical ISO text on SQLite.
 *
 * A table that already exists is left as it is: in production the mastoc server's own migrations
 * may have created these tables first, with the same columns, and the importer then only adds its
 * own (`import_runs`, and the later migrations'). Which of them this migration did create is
 * written down (`import_created_tables`), so that `down` drops those and never the server's.
 */
export async function up(knex: Knex): Promise<void> {
  // Kept if there (a database whose migration history was lost): its list still holds.
  if (!(await knex.schema.hasTable(CREATED_TABLES))) await createCreatedTablesList(knex)
  const createTable = async (name: string, build: (table: Knex.CreateTableBuilder) => void) => {
    if (await knex.schema.hasTable(name)) return
    await knex.schema.createTable(name, build)
    await knex(CREATED_TABLES).insert({table_name: name}).onConflict('table_name').ignore()
  }
  const instant = (table: Knex.CreateTableBuilder, name: string) => table.timestamp(name, {useTz: true, precision: 6}).notNullable()

  await createTable('gyms', (table) => {
    table.uuid('id').primary()
    table.string('stokt_id', 36).notNullable().unique()
    table.string('display_name', 255).notNullable()
    table.text('location_string')
    table.string('source', 16).notNullable().defaultTo('stokt')
    instant(table, 'created_at')
    instant(table, 'updated_at')
  })

  await createTable('faces', (table) => {
    table.uuid('id').primary()
    table.string('stokt_id', 36).notNullable().unique()
    table.uuid('gym_id').notNullable().references('id').inTable('gyms')
    table.text('picture_path')
    table.integer('picture_width')
    table.integer('picture_height')
    table.jsonb('feet_rules_options')
    table.boolean('has_symmetry').notNullable().defaultTo(false)
    table.string('source', 16).notNullable().defaultTo('stokt')
    instant(table, 'synced_at')
    instant(table, 'created_at')
    instant(table, 'updated_at')
    table.index(['gym_id'])
  })

  await createTable('holds', (table) => {
    table.increments('id').primary()
    table.bigInteger('stokt_id').notNullable().unique()
    table.uuid('face_id').notNullable().references('id').inTable('faces')
    table.text('polygon_str').notNullable()
    table.text('touch_polygon_str')
    table.text('top_polygon_str')
    table.text('path_str')
    table.double('centroid_x')
    table.double('centroid_y')
    table.double('area')
    table.text('center_tape_str')
    table.text('right_tape_str')
    table.text('left_tape_str')
    instant(table, 'created_at')
    instant(table, 'updated_at')
    table.index(['face_id'])
  })

  await createTable('users', (table) => {
    table.uuid('id').primary()
    table.string('stokt_id', 36).notNullable().unique()
    table.string('full_name', 255).notNullable()
    table.text('avatar_path')
    table.string('source', 16).notNullable().defaultTo('stokt')
    instant(table, 'created_at')
    instant(table, 'updated_at')
  })

  await createTable('climbs', (table) => {
    table.uuid('id').primary()
    table.string('stokt_id', 36).notNullable().unique()
    table.uuid('face_id').notNullable().references('id').inTable('faces')
    table.uuid('setter_id').references('id').inTable('users')
    table.string('name', 255).notNullable()
    table.text('holds_list').notNullable()
    table.text('mirror_holds_list').notNullable().defaultTo('')
    table.string('grade_font', 16)
    table.double('grade_ircra')
    table.text('feet_rule')
    table.text('description')
    table.boolean('is_private').notNullable().defaultTo(false)
    table.boolean('is_benchmark').notNullable().defaultTo(false)
    table.integer('climbed_by').notNullable().defaultTo(0)
    table.integer('total_likes').notNullable().defaultTo(0)
    table.integer('total_comments').notNullable().defaultTo(0)
    table.string('source', 16).notNullable().defaultTo('stokt')
    instant(table, 'created_at')
    instant(table, 'synced_at')
    instant(table, 'updated_at')
    table.index(['face_id'])
    table.index(['setter_id'])
  })

  await createTable('import_runs', (table) => {
    table.uuid('id').primary()
    table.string('command', 32).notNullable()
    table.string('strategy', 16).notNullable()
    table.string('gym_stokt_id', 36).notNullable()
    table.boolean('dry_run').notNullable()
    table.text('options')
    table.timestamp('started_at', {useTz: true, precision: 6}).notNullable()
    table.timestamp('finished_at', {useTz: true, precision: 6})
    table.string('status', 16).notNullable()
    table.text('summary')
    table.text('error')
    table.index(['gym_stokt_id', 'started_at'])
  })
}

/**
 * Drops what `up` created, and only that: a table the mastoc server had made before holds its data,
 * and stays. A database migrated before the list was kept has none: its server tables stay too.
 */
export async function down(knex: Knex): Promise<void> {
  const created = (await knex.schema.hasTable(CREATED_TABLES))
    ? new Set((await knex(CREATED_TABLES).select('table_name')).map((row: {table_name: string}) => row.table_name))
    : new Set(['import_runs'])
  for (const table of ['import_runs', 'climbs', 'users', 'holds', 'faces', 'gyms']) {
    if (created.has(table)) await knex.schema.dropTableIfExists(table)
  }
  await knex.schema.dropTableIfExists(CREATED_TABLES)
}

/** The tables `up` created, by name. */
export const CREATED_TABLES = 'import_created_tables'

/** The list of the tables the importer made, empty. */
export async function createCreatedTablesList(knex: Knex): Promise<void> {
  await knex.schema.createTable(CREATED_TABLES, (table) => {
    table.string('table_name', 64).primary()
  })
}
