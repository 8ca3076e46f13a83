/** The row writer on PostgreSQL: one statement per table and batch, its rows one JSON parameter (no 65,535-parameter limit). */
import {createHash} from 'node:crypto'

import type pg from 'pg'

import {existingRows, foundColumns, insertValues, quote, storedColumns, storedStoktIds, updateColumns, updateValues} from './rowValues.js'
import type {ChangedRow, NewRow, PostgresTypeOf, RowWriter, SoughtRow} from './rowWriters.js'
import {insertedColumns, type Column, type ColumnKind, type TableSpec} from './tables.js'

/** The mastoc server's PostgreSQL types, where the database says nothing else. */
const POSTGRES_TYPES: Record<ColumnKind, string> = {
  text: 'text',
  uuid: 'uuid',
  integer: 'int4',
  real: 'float8',
  boolean: 'bool',
  json: 'json',
  instant: 'timestamp',
}

/** A statement held back, as pg takes it; `name`: prepared once per connection. */
type Statement = pg.QueryConfig

/**
 * A transaction's writes, held per connection until a lookup needs them sent or COMMIT: a batch that
 * writes one statement (most batches: a first import's climbs, a re-run's changed rows) sends it alone,
 * a transaction of its own, in one round trip instead of three; one that writes nothing sends nothing
 * but its lookups (docs/performance.md, "Small batches"). Kept by connection, not by writer: the
 * cursor's writer runs its statement in the same transaction.
 */
interface Held {
  /** BEGIN was sent: the writes held since go after it, and a failure is rolled back. */
  begun: boolean
  statements: Statement[]
}

const heldOf = new WeakMap<pg.Client, Held>()

export class PostgresRowWriter implements RowWriter {
  constructor(private readonly liveType: PostgresTypeOf) {}

  private typeOf(spec: TableSpec, column: Column): string {
    return this.liveType(spec, column) ?? POSTGRES_TYPES[column.kind]
  }

  /**
   * Rows are locked as they are written; a batch never meets a stale snapshot: under READ COMMITTED (the
   * session's, connection.ts) each statement sees the database as of its own start, so a lookup before
   * the batch's first write sees the same whether BEGIN went before it or not.
   */
  async begin(connection: unknown) {
    heldOf.set(connection as pg.Client, {begun: false, statements: []})
  }

  async commit(connection: unknown) {
    const client = connection as pg.Client
    const held = heldOf.get(client) ?? {begun: true, statements: []}
    if (!held.begun && held.statements.length <= 1) {
      // One statement is atomic by itself, without BEGIN and COMMIT; no statement, nothing to send.
      const [statement] = held.statements
      held.statements = []
      if (statement) await client.query(statement)
    } else {
      await sendHeld(client, held)
      await client.query('commit')
    }
    heldOf.delete(client)
  }

  async rollback(connection: unknown) {
    const held = heldOf.get(connection as pg.Client)
    heldOf.delete(connection as pg.Client)
    if (held === undefined || held.begun) await (connection as pg.Client).query('rollback')
  }

  async run(connection: unknown, sql: string, bindings: readonly unknown[]) {
    await write(connection, {text: sql, values: bindings as unknown[]})
  }

  /**
   * The rows whole, compared by the client. Comparing in the server instead (the batch as one JSON
   * parameter, each value cast as an insert casts it, only ids back) took longer: docs/performance.md.
   */
  async find(connection: unknown, spec: TableSpec, rows: readonly SoughtRow[]) {
    if (rows.length === 0) return []
    // The batch's writes so far go first, so that the lookup sees them.
    const held = heldOf.get(connection as pg.Client)
    if (held?.statements.length) await sendHeld(connection as pg.Client, held)
    // Each row found comes with its id's position in the array. The lateral subquery (OFFSET 0 keeps it
    // from being flattened) makes it one index search per id; a join of the two planned a hash of the whole table.
    const {rows: found} = await query<unknown[]>(
      connection,
      `select ${foundColumns(spec, '(sought.position - 1)::int4')}
       from unnest($1::${this.typeOf(spec, {name: 'stokt_id', kind: spec.stoktId})}[]) with ordinality as sought (stokt_id, position)
       cross join lateral (select ${storedColumns(spec)} from ${quote(spec.table)} where stokt_id = sought.stokt_id offset 0) as stored`,
      [storedStoktIds(spec, 'postgres', rows)],
      'array',
    )
    return existingRows(spec, 'postgres', rows, found)
  }

  async insert(connection: unknown, spec: TableSpec, rows: readonly NewRow[], now: string) {
    if (rows.length === 0) return
    const columns = insertedColumns(spec)
    const values = rows.map((row) => insertValues(spec, row, now, 'postgres'))
    const text = `insert into ${quote(spec.table)} (${columns.map((column) => quote(column.name)).join(', ')})
       select ${this.castsFromJson(spec, columns)} from jsonb_array_elements($1::jsonb) as row`
    // Inserts have no plan to go stale: a named (server-side prepared) statement, parsed once per connection.
    await write(connection, {
      name: `mastoc_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`,
      text,
      values: [JSON.stringify(values)],
    })
  }

  async update(connection: unknown, spec: TableSpec, rows: readonly ChangedRow[], now: string) {
    if (rows.length === 0) return
    const columns: Column[] = [{name: 'id', kind: spec.id === 'uuid' ? 'uuid' : 'integer'}, ...updateColumns(spec)]
    const values = rows.map((row) => [row.id, ...updateValues(spec, row, now, 'postgres')])
    const assignments = columns.slice(1).map((column) => `${quote(column.name)} = changed.${quote(column.name)}`)
    await write(connection, {
      text: `update ${quote(spec.table)} as target set ${assignments.join(', ')}
       from (select ${this.castsFromJson(spec, columns)} from jsonb_array_elements($1::jsonb) as row) as changed
       where target.id = changed.id`,
      values: [JSON.stringify(values)],
    })
  }

  /**
   * `(row->>0)::uuid, (row->>1)::varchar, …`: a batch travels as one JSON array of row arrays (cheaper
   * for the client than an array per column), cast back on the server; instants keep their UTC time.
   */
  private castsFromJson(spec: TableSpec, columns: readonly Column[]): string {
    return columns.map((column, index) => `(row->>${index})::${this.typeOf(spec, column)} as ${quote(column.name)}`).join(', ')
  }
}

/** Planned afresh each time: a generic plan cached while the tables were empty scans them whole for every batch. */
async function query<Row = Record<string, unknown>>(
  connection: unknown,
  text: string,
  values: unknown[],
  rowMode?: 'array',
): Promise<pg.QueryResult<Row & pg.QueryResultRow>> {
  return (connection as pg.Client).query({text, values, ...(rowMode ? {rowMode} : {})})
}

/** Held with the transaction's other writes when one is open, else sent at once. */
async function write(connection: unknown, statement: Statement): Promise<void> {
  const held = heldOf.get(connection as pg.Client)
  if (held) held.statements.push(statement)
  else await (connection as pg.Client).query(statement)
}

/** BEGIN, when not sent yet, then the writes held, in order; later ones are held again. */
async function sendHeld(client: pg.Client, held: Held): Promise<void> {
  if (!held.begun) {
    await client.query('begin')
    held.begun = true
  }
  const statements = held.statements
  held.statements = []
  for (const statement of statements) await client.query(statement)
}
