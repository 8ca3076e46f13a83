import type {Knex} from 'knex'

/**
 * What the database itself says of each table: its columns, constraints (keys) and indexes, as
 * PostgreSQL's catalogue or SQLite's pragmas report them, plus SQLite's statement text. Two
 * databases with equal catalogues have the same tables, whichever way they were made.
 */
export async function readCatalogue(knex: Knex, tables: readonly string[]): Promise<Record<string, unknown>> {
  const catalogue: Record<string, unknown> = {}
  for (const table of tables) {
    catalogue[table] = knex.client.config.client === 'pg' ? await postgresTable(knex, table) : await sqliteTable(knex, table)
  }
  return catalogue
}

async function postgresTable(knex: Knex, table: string): Promise<unknown> {
  const columns = await knex.raw(
    `select column_name, ordinal_position, data_type, character_maximum_length, is_nullable, column_default
       from information_schema.columns where table_schema = current_schema() and table_name = ? order by ordinal_position`,
    [table],
  )
  const constraints = await knex.raw(
    `select conname as name, contype as type, pg_get_constraintdef(oid) as definition
       from pg_constraint where conrelid = ?::regclass order by conname`,
    [table],
  )
  const indexes = await knex.raw(
    'select indexname as name, indexdef as definition from pg_indexes where schemaname = current_schema() and tablename = ? order by indexname',
    [table],
  )
  return {columns: columns.rows, constraints: constraints.rows, indexes: indexes.rows}
}

async function sqliteTable(knex: Knex, table: string): Promise<unknown> {
  const [created] = await knex('sqlite_master').where({type: 'table', name: table}).select('sql')
  const indexes: {name: string; unique: number; origin: string; partial: number}[] = await knex.raw(`PRAGMA index_list(${quote(table)})`)
  return {
    sql: created?.sql,
    columns: await knex.raw(`PRAGMA table_info(${quote(table)})`),
    foreignKeys: await knex.raw(`PRAGMA foreign_key_list(${quote(table)})`),
    indexes: await Promise.all(
      indexes
        .sort((a, b) => a.name.localeCompare(b.name))
        .map(async ({name, unique, origin, partial}) => ({
          name,
          unique,
          origin,
          partial,
          columns: await knex.raw(`PRAGMA index_info(${quote(name)})`),
          sql: (await knex('sqlite_master').where({type: 'index', name}).first('sql'))?.sql ?? null,
        })),
    ),
  }
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** Runs each statement of an SQL file (`;` at a line's end), its `--` comment lines left out. */
export function sqlStatements(text: string): string[] {
  const withoutComments = text
    .split('\n')
    .filter((line) => !line.startsWith('--'))
    .join('\n')
  return withoutComments
    .split(/;\n/)
    .map((statement) => statement.replace(/;\s*$/, '').trim())
    .filter((statement) => statement !== '')
}
