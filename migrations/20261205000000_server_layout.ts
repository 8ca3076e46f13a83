import type {Knex} from 'knex'

import {dialectOf, type Dialect} from '../src/lib/db/target.js'
import {columnNames} from '../src/lib/db/liveSchema.js'
import {SERVER_DDL, SERVER_TABLES, type ServerTable} from '../src/lib/db/serverSchema.js'
import * as initial from './20261126000000_initial.js'
import {
  EARLIER_ENCODING,
  EARLIER_NOW,
  SERVER_ENCODING,
  toEarlierLayout,
  toServerLayout,
  type Columns,
} from './20261205000000_server_layout/columns.js'

/**
 * The mastoc server's own layout for `gyms`, `users`, `faces`, `holds` and `climbs`, which the
 * server reads: a table missing is made with the server's DDL; one the importer made in its earlier
 * layout is rebuilt into the server's, every row, id and reference kept; one the server made is left
 * as it is.
 *
 * It manages its own transaction: SQLite turns foreign keys off for the rebuild, which only works
 * outside one.
 */
export const config = {transaction: false}

export async function up(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex)
  await inOneTransaction(knex, dialect, async (trx) => {
    const importerMade = await importerMadeTables(trx)
    await createMissingServerTables(trx, dialect)
    const earlier: ServerTable[] = []
    for (const table of SERVER_TABLES) {
      if (importerMade.has(table) && !(await inServerLayout(trx, table))) earlier.push(table)
    }
    if (earlier.length === 0) return
    await refuseValuesTheServerCannotHold(trx, earlier)
    await rebuild(trx, dialect, earlier, {
      create: async () => {
        for (const table of earlier) await createServerTable(trx, dialect, table)
      },
      columns: toServerLayout(SERVER_ENCODING[dialect]),
    })
  })
}

/**
 * Back to the layout `20261126000000_initial` makes, for the tables the importer made, so that an
 * earlier version works again. What only the server's layout holds (its users' logins, a climb's
 * personal notes) is lost; rows made in mastoc, without a Stokt id, cannot go back and are refused.
 */
export async function down(knex: Knex): Promise<void> {
  const dialect = dialectOf(knex)
  await inOneTransaction(knex, dialect, async (trx) => {
    const importerMade = await importerMadeTables(trx)
    const server: ServerTable[] = []
    for (const table of SERVER_TABLES) {
      if (importerMade.has(table) && (await inServerLayout(trx, table))) server.push(table)
    }
    if (server.length === 0) return
    await refuseRowsWithoutStoktId(trx, server)
    await rebuild(trx, dialect, server, {
      // The earlier migration makes exactly the tables missing, as it always did.
      create: () => initial.up(trx),
      columns: toEarlierLayout(EARLIER_ENCODING[dialect], EARLIER_NOW[dialect]),
    })
  })
}

/** The tables the importer made (`initial` keeps the list): the only ones it may rebuild. */
const {CREATED_TABLES} = initial

/** Makes each of the five tables missing with the server's DDL, and lists it as one the importer made. */
async function createMissingServerTables(trx: Knex.Transaction, dialect: Dialect): Promise<void> {
  const missing: ServerTable[] = []
  for (const table of SERVER_TABLES) if (!(await trx.schema.hasTable(table))) missing.push(table)
  await createServerTables(trx, dialect, missing)
}

/** Makes `tables`, none of which exists, with the server's DDL, and lists them as tables the importer made. */
export async function createServerTables(trx: Knex | Knex.Transaction, dialect: Dialect, tables: readonly ServerTable[]): Promise<void> {
  for (const table of tables) {
    await createServerTable(trx, dialect, table)
    await trx(CREATED_TABLES).insert({table_name: table}).onConflict('table_name').ignore()
  }
}

/**
 * `work` in one transaction. On SQLite with foreign keys off (SQLite's table rebuild: dropping a
 * table other tables reference), on one connection, restored after.
 */
async function inOneTransaction(knex: Knex, dialect: Dialect, work: (trx: Knex.Transaction) => Promise<void>): Promise<void> {
  if (dialect === 'postgres') {
    await knex.transaction(work)
    return
  }
  const connection = await knex.client.acquireConnection()
  try {
    const [{foreign_keys: enforced}] = await knex.raw('PRAGMA foreign_keys').connection(connection)
    await knex.raw('PRAGMA foreign_keys = OFF').connection(connection)
    try {
      await knex.transaction(work, {connection})
    } finally {
      await knex.raw(`PRAGMA foreign_keys = ${enforced ? 'ON' : 'OFF'}`).connection(connection)
    }
  } finally {
    await knex.client.releaseConnection(connection)
  }
}

async function importerMadeTables(trx: Knex.Transaction): Promise<Set<string>> {
  if (!(await trx.schema.hasTable(CREATED_TABLES))) return new Set()
  const rows: {table_name: string}[] = await trx(CREATED_TABLES).select('table_name')
  return new Set(rows.map((row) => row.table_name))
}

async function createServerTable(trx: Knex | Knex.Transaction, dialect: Dialect, table: ServerTable): Promise<void> {
  for (const statement of SERVER_DDL[dialect][table]) await trx.raw(statement)
}

/** Whether the table has the server's columns, by name. */
async function inServerLayout(trx: Knex.Transaction, table: ServerTable): Promise<boolean> {
  const columns = (await columnNames(trx, table)).sort()
  const server = serverColumns(table)
    .map(({name}) => name)
    .sort()
  return columns.length === server.length && columns.every((name, index) => name === server[index])
}

/** The server's columns of `table`, each with its VARCHAR width, read from its CREATE TABLE. */
function serverColumns(table: ServerTable): {name: string; width?: number}[] {
  const [createTable] = SERVER_DDL.postgres[table]
  return [...createTable.matchAll(/^\t([a-z_]+) ([A-Z ]+)(?:\((\d+)\))?/gm)].map(([, name, , width]) => ({
    name,
    width: width === undefined ? undefined : Number(width),
  }))
}

/**
 * The earlier layout had `text` where the server has VARCHAR(n), and a bigint Stokt id for holds:
 * a value that does not fit fails here, naming it, before anything changes (PostgreSQL would fail
 * halfway with no row named, and SQLite would keep a value the server does not expect).
 */
async function refuseValuesTheServerCannotHold(trx: Knex.Transaction, tables: readonly ServerTable[]): Promise<void> {
  for (const table of tables) {
    const present = new Set(await columnNames(trx, table))
    for (const {name, width} of serverColumns(table)) {
      if (width === undefined || !present.has(name)) continue
      const row: {stokt_id: unknown; length: number} | undefined = await trx(table)
        .select('stokt_id', trx.raw('length(??) as length', [name]))
        .whereRaw('length(??) > ?', [name, width])
        .orderBy('stokt_id')
        .first()
      if (row) {
        throw new Error(
          `${table}.${name} of the row with stokt_id ${String(row.stokt_id)} is ${row.length} characters long, and the mastoc server's column holds ${width} at most (VARCHAR(${width})): ` +
            'shorten that value (or delete the row, and import again after migrating), then migrate again',
        )
      }
    }
  }
  if (!tables.includes('holds')) return
  const hold = await trx('holds')
    .select('stokt_id')
    .where('stokt_id', '>', INTEGER_MAX)
    .orWhere('stokt_id', '<', -INTEGER_MAX - 1)
    .first()
  if (hold) {
    throw new Error(
      `holds.stokt_id ${String(hold.stokt_id)} does not fit the mastoc server's column (INTEGER, at most ${INTEGER_MAX}): delete that hold, then migrate again`,
    )
  }
}

const INTEGER_MAX = 2_147_483_647

/** The earlier layout requires a Stokt id, which rows made in mastoc do not have. */
async function refuseRowsWithoutStoktId(trx: Knex.Transaction, tables: readonly ServerTable[]): Promise<void> {
  for (const table of tables) {
    const [{count}] = await trx(table).whereNull('stokt_id').count({count: '*'})
    if (Number(count) === 0) continue
    throw new Error(
      `${table} holds ${Number(count)} row${Number(count) === 1 ? '' : 's'} made in mastoc (no stokt_id), which the earlier layout cannot hold: ` +
        'keep this version of mastoc, or delete those rows before rolling back',
    )
  }
}

interface Rebuild {
  /** Makes the tables in their new layout, once the old ones are gone. */
  create(): Promise<void>
  columns: Columns
}

/**
 * SQLite's table rebuild, the same on PostgreSQL: the rows copied aside, the tables dropped
 * (children first) and made again, the rows put back converted, ids kept. Foreign keys other tables
 * have on them (a server's `hold_annotations` on `holds`) are kept: PostgreSQL's are dropped and
 * added again, SQLite's stay (foreign keys are off) and are checked at the end.
 */
async function rebuild(trx: Knex.Transaction, dialect: Dialect, tables: readonly ServerTable[], {create, columns}: Rebuild): Promise<void> {
  const references = dialect === 'postgres' ? await foreignKeysFromOtherTables(trx, tables) : []
  for (const {table, name} of references) await trx.raw(`alter table ${table} drop constraint ??`, [name])
  for (const table of tables) await trx.raw('create temporary table ?? as select * from ??', [copyOf(table), table])
  for (const table of [...tables].reverse()) await trx.schema.dropTable(table)
  // The server's SERIAL names its sequence holds_id_seq: any of that name left would make it holds_id_seq1.
  if (dialect === 'postgres' && tables.includes('holds')) await trx.raw('drop sequence if exists holds_id_seq')
  await create()
  for (const table of tables) {
    const values = Object.entries(columns[table])
    await trx.raw(`insert into ?? (${values.map(() => '??').join(', ')}) select ${values.map(([, value]) => value).join(', ')} from ??`, [
      table,
      ...values.map(([name]) => name),
      copyOf(table),
    ])
  }
  if (dialect === 'postgres' && tables.includes('holds')) {
    // New holds are numbered after the highest kept id.
    await trx.raw("select setval(pg_get_serial_sequence('holds', 'id'), coalesce(max(id), 0) + 1, false) from holds")
  }
  for (const table of tables) await trx.raw('drop table ??', [copyOf(table)])
  for (const {table, name, definition} of references) await trx.raw(`alter table ${table} add constraint ?? ${definition}`, [name])
  if (dialect === 'sqlite') await refuseBrokenReferences(trx, tables)
}

function copyOf(table: ServerTable): string {
  return `rebuilt_${table}`
}

interface ForeignKey {
  /** As PostgreSQL names it (`regclass` text: quoted and schema-qualified where needed). */
  table: string
  name: string
  definition: string
}

async function foreignKeysFromOtherTables(trx: Knex.Transaction, tables: readonly ServerTable[]): Promise<ForeignKey[]> {
  const list = tables.map(() => '?').join(', ')
  const {rows} = await trx.raw(
    `select conrelid::regclass::text as "table", conname as name, pg_get_constraintdef(oid) as definition
       from pg_constraint
      where contype = 'f' and confrelid::regclass::text in (${list}) and conrelid::regclass::text not in (${list})
      order by 1, 2`,
    [...tables, ...tables],
  )
  return rows
}

/** SQLite's last step of a rebuild: the references to and from the rebuilt tables all still hold. */
async function refuseBrokenReferences(trx: Knex.Transaction, tables: readonly ServerTable[]): Promise<void> {
  const rebuilt = new Set<string>(tables)
  const broken: {table: string; parent: string}[] = (await trx.raw('PRAGMA foreign_key_check')).filter(
    ({table, parent}: {table: string; parent: string}) => rebuilt.has(table) || rebuilt.has(parent),
  )
  if (broken.length === 0) return
  const [{table, parent}] = broken
  throw new Error(
    `rebuilding ${tables.join(', ')} would leave ${broken.length} row(s) of ${table} referring to rows of ${parent} that are not there: nothing was changed`,
  )
}
