import type {Knex} from 'knex'

import {dialectOf, type Dialect} from './target.js'
import {writtenColumns, type ColumnKind, type TableSpec} from './tables.js'

/** The server's tables as they are, read before a run writes (the server may have moved on), to check and shape its writes. */
export interface LiveColumn {
  name: string
  /** PostgreSQL's `udt_name` (`uuid`, `varchar`, `timestamp`…); SQLite's declared type, upper-case, without its size. */
  type: string
  nullable: boolean
  /** A database default, an identity or SQLite's rowid: the database fills it when the importer does not. */
  filled: boolean
  /** A `VARCHAR(n)`'s n. */
  maxLength?: number
  /** A PostgreSQL timestamp's digits of fraction. */
  instantDigits?: number
}

export type LiveTable = ReadonlyMap<string, LiveColumn>

export class SchemaMismatch extends Error {}

/**
 * The names of `table`'s columns, none if there is no such table. PostgreSQL's are read from its
 * catalog: information_schema (knex's columnInfo, hasColumn) took ~10 ms a table, most of migrating.
 */
export async function columnNames(db: Knex, table: string): Promise<string[]> {
  if (dialectOf(db) === 'postgres') {
    const {rows} = await db.raw<{rows: {name: string}[]}>(
      `select attname as name from pg_attribute
       where attrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident(?)) and attnum > 0 and not attisdropped`,
      [table],
    )
    return rows.map((row) => row.name)
  }
  const rows: {name: string}[] = await db.raw(`pragma table_info(${quoteName(table)})`)
  return rows.map((row) => row.name)
}

export async function readLiveTables(db: Knex, dialect: Dialect, tables: readonly string[]): Promise<Map<string, LiveTable>> {
  return dialect === 'postgres' ? readPostgres(db, tables) : readSqlite(db, tables)
}

async function readPostgres(db: Knex, tables: readonly string[]): Promise<Map<string, LiveTable>> {
  const {rows} = await db.raw(
    `select table_name, column_name, udt_name, is_nullable, column_default, is_identity, character_maximum_length, datetime_precision
     from information_schema.columns where table_schema = current_schema() and table_name in (${tables.map(() => '?').join(', ')})
     order by table_name, ordinal_position`,
    [...tables],
  )
  const live = new Map<string, Map<string, LiveColumn>>()
  for (const row of rows as Record<string, unknown>[]) {
    const table = String(row.table_name)
    if (!live.has(table)) live.set(table, new Map())
    const type = String(row.udt_name)
    live.get(table)!.set(String(row.column_name), {
      name: String(row.column_name),
      type,
      nullable: row.is_nullable === 'YES',
      filled: row.column_default !== null || row.is_identity === 'YES',
      maxLength: row.character_maximum_length === null ? undefined : Number(row.character_maximum_length),
      instantDigits: type.startsWith('timestamp') && row.datetime_precision !== null ? Number(row.datetime_precision) : undefined,
    })
  }
  return live
}

async function readSqlite(db: Knex, tables: readonly string[]): Promise<Map<string, LiveTable>> {
  const live = new Map<string, Map<string, LiveColumn>>()
  for (const table of tables) {
    const rows: {name: string; type: string; notnull: number; dflt_value: unknown; pk: number}[] = await db.raw(
      `pragma table_info(${quoteName(table)})`,
    )
    if (rows.length === 0) continue
    const rowidAlias = rows.filter((row) => row.pk > 0).length === 1
    const columns = new Map<string, LiveColumn>()
    for (const row of rows) {
      const declared = /^\s*([A-Za-z ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*\d+\s*)?\))?\s*$/.exec(row.type)
      const type = (declared?.[1] ?? row.type).toUpperCase()
      columns.set(row.name, {
        name: row.name,
        type,
        nullable: row.notnull === 0 && row.pk === 0,
        filled: row.dflt_value !== null || (rowidAlias && row.pk > 0 && type === 'INTEGER'),
        maxLength: declared?.[2] !== undefined && /CHAR/.test(type) ? Number(declared[2]) : undefined,
      })
    }
    live.set(table, columns)
  }
  return live
}

/** The types a column of each kind may have, for the importer to write it as the server reads it. */
const WRITABLE: Record<Dialect, Record<ColumnKind, readonly string[]>> = {
  postgres: {
    text: ['varchar', 'text', 'bpchar'],
    uuid: ['uuid'],
    integer: ['int2', 'int4', 'int8'],
    real: ['float4', 'float8', 'numeric'],
    boolean: ['bool'],
    json: ['json', 'jsonb'],
    instant: ['timestamp', 'timestamptz'],
  },
  sqlite: {
    text: ['VARCHAR', 'TEXT', 'CHAR', 'NVARCHAR', 'CLOB'],
    uuid: ['UUID', 'CHAR', 'VARCHAR', 'TEXT'],
    integer: ['INTEGER', 'INT', 'BIGINT', 'SMALLINT'],
    real: ['FLOAT', 'REAL', 'DOUBLE', 'DOUBLE PRECISION', 'NUMERIC', 'DECIMAL'],
    boolean: ['BOOLEAN', 'INTEGER', 'INT', 'TINYINT'],
    json: ['JSON', 'TEXT'],
    instant: ['DATETIME', 'TIMESTAMP'],
  },
}

/** What keeps the importer from writing these tables, a line each, naming table, column and what to do; none when it can. */
export function schemaProblems(dialect: Dialect, specs: readonly TableSpec[], live: ReadonlyMap<string, LiveTable>): string[] {
  const problems: string[] = []
  for (const spec of specs) {
    const table = live.get(spec.table)
    if (!table) {
      problems.push(`the table ${spec.table} is missing: run \`mastoc db migrate\`, or start the mastoc server once, on this database`)
      continue
    }
    const written = writtenColumns(spec)
    for (const {name, kind} of written) {
      const column = table.get(name)
      if (!column) {
        problems.push(
          `${spec.table}.${name} is missing, and the importer writes it: bring the mastoc server's schema up to date on this database`,
        )
      } else if (!WRITABLE[dialect][kind].includes(column.type)) {
        problems.push(
          `${spec.table}.${name} is of type ${column.type.toLowerCase()}, where the importer writes ${describeKind(kind)}: give it the mastoc server's type`,
        )
      }
    }
    const writtenNames = new Set(written.map((column) => column.name))
    for (const column of table.values()) {
      if (!column.nullable && !column.filled && !writtenNames.has(column.name) && !(spec.id === 'increments' && column.name === 'id')) {
        problems.push(
          `${spec.table}.${column.name} is NOT NULL without a default, and the importer has no value for it: give it a default in the database (ALTER TABLE ${spec.table} ALTER COLUMN ${column.name} SET DEFAULT …) or make it nullable`,
        )
      }
    }
  }
  return problems
}

/** How many code points `text` has (as PostgreSQL counts a varchar(n)) when more than `width`; undefined when it fits. */
export function charactersOver(text: string, width: number): number | undefined {
  if (text.length <= width) return undefined
  const characters = [...text].length
  return characters > width ? characters : undefined
}

function describeKind(kind: ColumnKind): string {
  return kind === 'instant'
    ? 'a timestamp'
    : kind === 'json'
      ? 'JSON'
      : kind === 'real'
        ? 'a float'
        : `${kind === 'integer' ? 'an' : 'a'} ${kind}`
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}
