import type {Knex} from 'knex'
import {afterAll, describe, expect, it} from 'vitest'

import {migrateToLatest} from '../../../src/lib/db/migrate.js'
import {MastocMigrationSource} from '../../../src/lib/db/migrationSource.js'
import {SERVER_DDL, SERVER_TABLES} from '../../../src/lib/db/serverSchema.js'
import {readCatalogue, sqlStatements} from '../../support/catalogue.js'
import {makeServerTables, serverDdl} from '../../support/serverTables.js'
import {DATABASE_KINDS, testDatabases, unavailable} from '../../support/databases.js'

const IMPORTER_TABLES = ['import_runs', 'import_locks', 'import_cursors', 'import_created_tables']

/** The last migration of the build before the server's layout. */
const EARLIER_BUILD_LAST = '20261126000300_import_locks_host'

// Instants as the earlier version kept them: canonical ISO text, UTC (PostgreSQL's text drops a fraction's trailing zeros).
const CREATED = '2026-11-20T10:00:00.123456Z'
const SYNCED = '2026-11-26T14:41:22.481273Z'
const LATER = '2026-11-27T08:00:00.000001Z'
const DATE_CREATED = '2025-12-17T15:56:38.491973Z'

const GYM = {id: '01937a1e-0000-7000-8000-00000000a001', stokt: 'be149ef2-317d-4c73-8d7d-50074577d2fa'}
const FACE = {id: '01937a1e-0000-7000-8000-00000000b001', stokt: '61b42d14-c629-434a-8827-801512151a18'}
const BARE_FACE = {id: '01937a1e-0000-7000-8000-00000000b002', stokt: '7bd9a16c-d54c-4050-b536-b18fd1ba44c6'}
const SETTER = {id: '01937a1e-0000-7000-8000-00000000c001', stokt: '2c8b8a44-6f4e-4f0e-9a83-1f3f1f9f0c01'}
const EDITED_USER = {id: '01937a1e-0000-7000-8000-00000000c002', stokt: '2c8b8a44-6f4e-4f0e-9a83-1f3f1f9f0c02'}
const SET_CLIMB = {id: '01937a1e-0000-7000-8000-00000000d001', stokt: '8f0e6c1a-9b1d-4c55-a2c1-0e0b9f3a7d01'}
const UNSET_CLIMB = {id: '01937a1e-0000-7000-8000-00000000d002', stokt: '8f0e6c1a-9b1d-4c55-a2c1-0e0b9f3a7d02'}
const RUN = '01937a1e-0000-7000-8000-00000000e001'

describe.each(DATABASE_KINDS)('the mastoc server layout on %s', (kind) => {
  const databases = testDatabases(kind)
  afterAll(() => databases.dropAll())

  /** Values as this dialect holds them in the server's layout, read back through the importer's connection. */
  const server = {
    uuid: (uuid: string | null) => (uuid === null || kind === 'postgres' ? uuid : uuid.replaceAll('-', '')),
    // The importer's connection reads a PostgreSQL `timestamp` as the canonical UTC instant.
    instant: (iso: string) => (kind === 'postgres' ? iso : `${iso.slice(0, 10)} ${iso.slice(11, 26)}`),
    boolean: (value: boolean) => (kind === 'sqlite' ? Number(value) : value),
    json: (text: string) => (kind === 'sqlite' ? text : JSON.parse(text)),
  }
  const earlierBoolean = (value: boolean) => (kind === 'sqlite' ? Number(value) : value)

  async function databaseMadeByTheServer(): Promise<Knex> {
    const knex = (await databases.fresh()).knex()
    await makeServerTables(knex)
    return knex
  }

  /** A database as the build before the server's layout left it, its migrations run one at a time. */
  async function earlierBuildDatabase(): Promise<Knex> {
    const knex = (await databases.fresh()).knex()
    const migrations = await new MastocMigrationSource().getMigrations()
    for (const expected of migrations.slice(0, migrations.indexOf(EARLIER_BUILD_LAST) + 1)) {
      const [, applied] = await knex.migrate.up()
      expect(applied).toEqual([expected])
    }
    return knex
  }

  /** A gym as the earlier version wrote it, in its layout and encodings (dashed UUIDs, ISO instants). */
  async function writeEarlierGym(knex: Knex): Promise<void> {
    await knex('gyms').insert({
      id: GYM.id,
      stokt_id: GYM.stokt,
      display_name: 'Montoboard',
      location_string: 'Caraman, France',
      source: 'stokt',
      created_at: CREATED,
      updated_at: LATER,
    })
    const face = {
      gym_id: GYM.id,
      picture_width: 2000,
      picture_height: 1500,
      source: 'stokt',
      synced_at: SYNCED,
      created_at: CREATED,
      updated_at: SYNCED,
    }
    await knex('faces').insert([
      {
        ...face,
        id: FACE.id,
        stokt_id: FACE.stokt,
        picture_path: 'CACHE/images/walls/face.jpg',
        feet_rules_options: '["free","only_marked"]',
        has_symmetry: earlierBoolean(true),
      },
      {
        ...face,
        id: BARE_FACE.id,
        stokt_id: BARE_FACE.stokt,
        picture_path: null,
        feet_rules_options: '[]',
        has_symmetry: earlierBoolean(false),
      },
    ])
    const hold = {
      face_id: FACE.id,
      centroid_x: 10.5,
      centroid_y: 20.25,
      area: 3.5,
      right_tape_str: null,
      created_at: CREATED,
      updated_at: SYNCED,
    }
    await knex('holds').insert([
      {
        ...hold,
        id: 7,
        stokt_id: 1001,
        polygon_str: '1,2 3,4 5,6',
        touch_polygon_str: '1,2 3,4',
        top_polygon_str: '5,6',
        path_str: 'M1 2',
        center_tape_str: '1 2',
        left_tape_str: '3 4',
      },
      {
        ...hold,
        id: 42,
        stokt_id: 1002,
        polygon_str: '9,9 8,8 7,7',
        touch_polygon_str: '9,9',
        top_polygon_str: null,
        path_str: null,
        center_tape_str: null,
        left_tape_str: null,
      },
    ])
    await knex('users').insert([
      {
        id: SETTER.id,
        stokt_id: SETTER.stokt,
        full_name: 'Anne Setter',
        avatar_path: 'CACHE/avatars/anne.jpg',
        source: 'stokt',
        created_at: CREATED,
        updated_at: CREATED,
      },
      {
        id: EDITED_USER.id,
        stokt_id: EDITED_USER.stokt,
        full_name: 'Bob',
        avatar_path: null,
        source: 'stokt',
        created_at: CREATED,
        updated_at: LATER,
      },
    ])
    const climb = {
      holds_list: 'S1001 F1002',
      mirror_holds_list: '',
      grade_ircra: 18.5,
      description: null,
      is_private: earlierBoolean(false),
      source: 'stokt',
      created_at: DATE_CREATED,
      synced_at: SYNCED,
      updated_at: SYNCED,
    }
    await knex('climbs').insert([
      {
        ...climb,
        id: SET_CLIMB.id,
        stokt_id: SET_CLIMB.stokt,
        face_id: FACE.id,
        setter_id: SETTER.id,
        name: 'Crimp City',
        grade_font: '6a+',
        feet_rule: 'free',
        is_benchmark: earlierBoolean(true),
        climbed_by: 12,
        total_likes: 3,
        total_comments: 1,
      },
      {
        ...climb,
        id: UNSET_CLIMB.id,
        stokt_id: UNSET_CLIMB.stokt,
        face_id: BARE_FACE.id,
        setter_id: null,
        name: 'Nameless',
        grade_font: null,
        feet_rule: null,
        is_benchmark: earlierBoolean(false),
        climbed_by: 0,
        total_likes: 0,
        total_comments: 0,
      },
    ])
    await knex('import_runs').insert({
      id: RUN,
      command: 'import',
      strategy: 'full',
      gym_stokt_id: GYM.stokt,
      dry_run: earlierBoolean(false),
      options: '{}',
      started_at: SYNCED,
      finished_at: LATER,
      status: 'succeeded',
      summary: '{}',
      error: null,
    })
    await knex('import_cursors').insert({gym_stokt_id: GYM.stokt, climbs_started_at: SYNCED, run_id: RUN, updated_at: LATER})
  }

  async function rowsOf(knex: Knex, tables: readonly string[]): Promise<Record<string, unknown[]>> {
    const rows: Record<string, unknown[]> = {}
    for (const table of tables)
      rows[table] = await knex(table)
        .select()
        .orderBy(table === 'import_cursors' ? 'gym_stokt_id' : 'id')
    return rows
  }

  it.skipIf(unavailable(kind))("a new database gets the five tables exactly as the server's DDL makes them", async () => {
    const migrated = (await databases.fresh()).knex()
    await migrateToLatest(migrated)
    expect(await readCatalogue(migrated, SERVER_TABLES)).toEqual(await readCatalogue(await databaseMadeByTheServer(), SERVER_TABLES))
  })

  it.skipIf(unavailable(kind))(
    'a new database, its tables made at once, ends as its migrations run as written leave one: every table, the list of those it made, its history',
    async () => {
      const atOnce = (await databases.fresh()).knex()
      await migrateToLatest(atOnce)
      // knex's own migrator, as each migration is written: `initial` makes the five, server_layout rebuilds them.
      const asWritten = (await databases.fresh()).knex()
      await asWritten.migrate.latest()

      const tables = [...SERVER_TABLES, ...IMPORTER_TABLES, 'knex_migrations', 'knex_migrations_lock']
      expect(await readCatalogue(atOnce, tables)).toEqual(await readCatalogue(asWritten, tables))
      const made = (knex: Knex) => knex('import_created_tables').orderBy('table_name').pluck('table_name')
      expect(await made(atOnce)).toEqual([...SERVER_TABLES, 'import_runs'].sort())
      expect(await made(atOnce)).toEqual(await made(asWritten))
      const history = (knex: Knex) => knex('knex_migrations').orderBy('id').select('name', 'batch')
      expect(await history(atOnce)).toEqual(await history(asWritten))
    },
  )

  it.skipIf(unavailable(kind))("the statements it makes them with are the server's, byte for byte", () => {
    const fixture = sqlStatements(serverDdl(kind))
    const ours = SERVER_TABLES.flatMap((table) => SERVER_DDL[kind][table])
    expect(fixture.filter((statement) => ours.includes(statement))).toEqual(ours)
  })

  it.skipIf(unavailable(kind))(
    "a database whose tables the server made, then migrated by its migrate_user_auth.py, keeps them as they are and gets the importer's own",
    async () => {
      const knex = (await databases.fresh()).knex()
      for (const statement of productionServerStatements(sqlStatements(serverDdl(kind)))) await knex.raw(statement)
      await knex('users').insert({
        id: server.uuid(SETTER.id),
        full_name: 'Admin',
        email: 'admin@example.com',
        source: 'mastoc',
        created_at: server.instant(CREATED).replace('Z', ''),
      })
      const catalogue = await readCatalogue(knex, SERVER_TABLES)
      const rows = await rowsOf(knex, SERVER_TABLES)

      await migrateToLatest(knex)

      expect(await readCatalogue(knex, SERVER_TABLES)).toEqual(catalogue)
      expect(await rowsOf(knex, SERVER_TABLES)).toEqual(rows)
      for (const table of IMPORTER_TABLES) expect(await knex.schema.hasTable(table), table).toBe(true)
      expect(await knex('import_created_tables').pluck('table_name')).toEqual(['import_runs'])
    },
  )

  it.skipIf(unavailable(kind))(
    "an earlier version's database is rebuilt into the server's layout, every row, id and reference kept",
    async () => {
      const knex = await earlierBuildDatabase()
      await writeEarlierGym(knex)
      const importerRows = await rowsOf(knex, ['import_runs', 'import_cursors'])

      await migrateToLatest(knex)

      expect(await readCatalogue(knex, SERVER_TABLES)).toEqual(await readCatalogue(await databaseMadeByTheServer(), SERVER_TABLES))
      expect(await knex('gyms').select()).toEqual([
        {
          id: server.uuid(GYM.id),
          stokt_id: server.uuid(GYM.stokt),
          display_name: 'Montoboard',
          location_string: 'Caraman, France',
          source: 'stokt',
          created_at: server.instant(CREATED),
        },
      ])
      const face = {
        gym_id: server.uuid(GYM.id),
        picture_width: 2000,
        picture_height: 1500,
        source: 'stokt',
        synced_at: server.instant(SYNCED),
        created_at: server.instant(CREATED),
      }
      expect(await knex('faces').select().orderBy('stokt_id')).toEqual([
        {
          ...face,
          id: server.uuid(FACE.id),
          stokt_id: server.uuid(FACE.stokt),
          picture_path: 'CACHE/images/walls/face.jpg',
          feet_rules_options: server.json(kind === 'sqlite' ? '["free","only_marked"]' : '["free", "only_marked"]'),
          has_symmetry: server.boolean(true),
        },
        {
          ...face,
          id: server.uuid(BARE_FACE.id),
          stokt_id: server.uuid(BARE_FACE.stokt),
          picture_path: '',
          feet_rules_options: server.json('[]'),
          has_symmetry: server.boolean(false),
        },
      ])
      const hold = {face_id: server.uuid(FACE.id), centroid_x: 10.5, centroid_y: 20.25, area: 3.5, right_tape_str: null}
      expect(await knex('holds').select().orderBy('id')).toEqual([
        {...hold, id: 7, stokt_id: 1001, polygon_str: '1,2 3,4 5,6', path_str: 'M1 2', center_tape_str: '1 2', left_tape_str: '3 4'},
        {...hold, id: 42, stokt_id: 1002, polygon_str: '9,9 8,8 7,7', path_str: null, center_tape_str: null, left_tape_str: null},
      ])
      const user = {
        email: null,
        username: null,
        password_hash: null,
        is_active: server.boolean(true),
        role: 'user',
        source: 'stokt',
        created_at: server.instant(CREATED),
        last_login_at: null,
        reset_token: null,
        reset_token_expires: null,
      }
      expect(await knex('users').select().orderBy('stokt_id')).toEqual([
        // Never changed since created: NULL, as the server leaves it.
        {
          ...user,
          id: server.uuid(SETTER.id),
          stokt_id: server.uuid(SETTER.stokt),
          full_name: 'Anne Setter',
          avatar_path: 'CACHE/avatars/anne.jpg',
          updated_at: null,
        },
        {
          ...user,
          id: server.uuid(EDITED_USER.id),
          stokt_id: server.uuid(EDITED_USER.stokt),
          full_name: 'Bob',
          avatar_path: null,
          updated_at: server.instant(LATER),
        },
      ])
      const climb = {
        holds_list: 'S1001 F1002',
        mirror_holds_list: '',
        grade_ircra: 18.5,
        description: null,
        is_private: server.boolean(false),
        source: 'stokt',
        created_at: server.instant(DATE_CREATED),
        synced_at: server.instant(SYNCED),
        personal_notes: null,
        personal_rating: null,
        is_project: server.boolean(false),
        created_by_id: null,
        updated_by_id: null,
        updated_at: null,
      }
      expect(await knex('climbs').select().orderBy('stokt_id')).toEqual([
        {
          ...climb,
          id: server.uuid(SET_CLIMB.id),
          stokt_id: server.uuid(SET_CLIMB.stokt),
          face_id: server.uuid(FACE.id),
          setter_id: server.uuid(SETTER.id),
          name: 'Crimp City',
          grade_font: '6a+',
          feet_rule: 'free',
          is_benchmark: server.boolean(true),
          climbed_by: 12,
          total_likes: 3,
          total_comments: 1,
        },
        {
          ...climb,
          id: server.uuid(UNSET_CLIMB.id),
          stokt_id: server.uuid(UNSET_CLIMB.stokt),
          face_id: server.uuid(BARE_FACE.id),
          setter_id: null,
          name: 'Nameless',
          grade_font: null,
          feet_rule: null,
          is_benchmark: server.boolean(false),
          climbed_by: 0,
          total_likes: 0,
          total_comments: 0,
        },
      ])
      expect(await rowsOf(knex, ['import_runs', 'import_cursors'])).toEqual(importerRows)
      if (kind === 'postgres') {
        const [{id}] = await knex('holds').insert({stokt_id: 1003, face_id: FACE.id, polygon_str: '0,0'}).returning('id')
        expect(id).toBeGreaterThan(42)
      }
    },
  )

  it.skipIf(unavailable(kind))(
    "a server's table referring to the holds keeps its rows and its foreign key through the rebuild",
    async () => {
      const knex = await earlierBuildDatabase()
      await writeEarlierGym(knex)
      await knex.raw(
        'CREATE TABLE hold_annotations (id UUID NOT NULL, hold_id INTEGER NOT NULL, notes TEXT, PRIMARY KEY (id), FOREIGN KEY(hold_id) REFERENCES holds (id))',
      )
      const annotation = {id: server.uuid(RUN), hold_id: 42, notes: 'left hand only'}
      await knex('hold_annotations').insert(annotation)

      await migrateToLatest(knex)

      expect(await knex('hold_annotations').select()).toEqual([annotation])
      if (kind === 'postgres') {
        const {rows} = await knex.raw(
          "select conname as name, pg_get_constraintdef(oid) as definition from pg_constraint where conrelid = 'hold_annotations'::regclass and contype = 'f'",
        )
        expect(rows).toEqual([{name: 'hold_annotations_hold_id_fkey', definition: 'FOREIGN KEY (hold_id) REFERENCES holds(id)'}])
      } else {
        expect(await knex.raw('PRAGMA foreign_key_check')).toEqual([])
        expect(await knex.raw('PRAGMA foreign_key_list(hold_annotations)')).toEqual([
          expect.objectContaining({table: 'holds', from: 'hold_id', to: 'id'}),
        ])
      }
      // And it still holds: an annotation of a hold that is not there is refused.
      await expect(knex('hold_annotations').insert({id: server.uuid(GYM.id), hold_id: 999, notes: null})).rejects.toThrow(/foreign key/i)
      expect(await readCatalogue(knex, SERVER_TABLES)).toEqual(await readCatalogue(await databaseMadeByTheServer(), SERVER_TABLES))
    },
  )

  it.skipIf(unavailable(kind))(
    "a value longer than the server's column fails the migration, naming it, and leaves the tables as they were",
    async () => {
      const knex = await earlierBuildDatabase()
      await writeEarlierGym(knex)
      await knex('climbs')
        .where({id: UNSET_CLIMB.id})
        .update({feet_rule: 'x'.repeat(150)})
      const catalogue = await readCatalogue(knex, SERVER_TABLES)
      const rows = await rowsOf(knex, SERVER_TABLES)

      await expect(migrateToLatest(knex)).rejects.toThrow(
        `climbs.feet_rule of the row with stokt_id ${UNSET_CLIMB.stokt} is 150 characters long, and the mastoc server's column holds 100 at most (VARCHAR(100)): ` +
          'shorten that value (or delete the row, and import again after migrating), then migrate again',
      )

      expect(await readCatalogue(knex, SERVER_TABLES)).toEqual(catalogue)
      expect(await rowsOf(knex, SERVER_TABLES)).toEqual(rows)
      expect(await knex('knex_migrations').orderBy('id').pluck('name')).not.toContain('20261205000000_server_layout')
    },
  )

  it.skipIf(unavailable(kind))('a failure halfway through the rebuild leaves the tables as they were', async () => {
    const knex = await earlierBuildDatabase()
    await writeEarlierGym(knex)
    if (kind === 'sqlite') {
      // A server's table referring to a user by the earlier layout's id, which the rebuild changes.
      await knex.raw(
        'CREATE TABLE hold_annotations (id UUID NOT NULL, user_id UUID NOT NULL, PRIMARY KEY (id), FOREIGN KEY(user_id) REFERENCES users (id))',
      )
      await knex('hold_annotations').insert({id: server.uuid(RUN), user_id: SETTER.id})
    } else {
      // Dropping the old table fails: a view depends on it.
      await knex.raw('CREATE VIEW benchmarks AS SELECT id, name FROM climbs WHERE is_benchmark')
    }
    const catalogue = await readCatalogue(knex, SERVER_TABLES)
    const rows = await rowsOf(knex, SERVER_TABLES)

    await expect(migrateToLatest(knex)).rejects.toThrow(
      kind === 'sqlite'
        ? 'rebuilding gyms, users, faces, holds, climbs would leave 1 row(s) of hold_annotations referring to rows of users that are not there: nothing was changed'
        : 'cannot drop table climbs because other objects depend on it',
    )

    expect(await readCatalogue(knex, SERVER_TABLES)).toEqual(catalogue)
    expect(await rowsOf(knex, SERVER_TABLES)).toEqual(rows)
    expect(await knex('knex_migrations').orderBy('id').pluck('name')).not.toContain('20261205000000_server_layout')
  })

  it.skipIf(unavailable(kind))('rolled back, gives the earlier version its layout again, rows and ids kept', async () => {
    const knex = await earlierBuildDatabase()
    await writeEarlierGym(knex)
    const earlier = await rowsOf(knex, SERVER_TABLES)
    await migrateToLatest(knex)

    const [, rolledBack] = await knex.migrate.down()

    expect(rolledBack).toEqual(['20261205000000_server_layout'])
    expect(await readCatalogue(knex, SERVER_TABLES)).toEqual(await readCatalogue(await earlierBuildDatabase(), SERVER_TABLES))
    const rows = await rowsOf(knex, SERVER_TABLES)
    expect(rows.holds).toEqual(
      earlier.holds.map((hold) => ({
        ...(hold as object),
        touch_polygon_str: null,
        top_polygon_str: null,
        created_at: expect.any(String),
        updated_at: expect.any(String),
      })),
    )
    // What the server's layout had no column for comes back from what it kept.
    expect({...rows, holds: undefined}).toEqual({
      ...earlier,
      holds: undefined,
      gyms: earlier.gyms.map((gym) => ({...(gym as {created_at: string}), updated_at: (gym as {created_at: string}).created_at})),
      faces: earlier.faces.map((face) => ({
        ...(face as {picture_path: string | null}),
        picture_path: (face as {picture_path: string | null}).picture_path ?? '',
      })),
    })
  })

  it.skipIf(unavailable(kind))('is not rolled back over rows made in mastoc, which the earlier layout cannot hold', async () => {
    const knex = (await databases.fresh()).knex()
    await migrateToLatest(knex)
    await knex('gyms').insert({
      id: server.uuid(GYM.id),
      stokt_id: null,
      display_name: 'Home wall',
      source: 'mastoc',
      created_at: server.instant(CREATED).replace('Z', ''),
    })
    const catalogue = await readCatalogue(knex, SERVER_TABLES)

    await expect(knex.migrate.down()).rejects.toThrow(
      'gyms holds 1 row made in mastoc (no stokt_id), which the earlier layout cannot hold: keep this version of mastoc, or delete those rows before rolling back',
    )

    expect(await readCatalogue(knex, SERVER_TABLES)).toEqual(catalogue)
    expect(await knex('gyms').pluck('display_name')).toEqual(['Home wall'])
  })
})

/**
 * The server's tables as a production database has them: `users` and `climbs` first made by the
 * server's older models, then given their auth columns by its scripts/migrate_user_auth.py (the
 * PostgreSQL fixture's header): nullable with a DEFAULT, partial unique indexes, columns at the end.
 */
function productionServerStatements(statements: string[]): string[] {
  const auth = [
    'email',
    'username',
    'password_hash',
    'is_active',
    'role',
    'updated_at',
    'last_login_at',
    'reset_token',
    'reset_token_expires',
  ]
  const tracing = ['created_by_id', 'updated_by_id', 'updated_at']
  return statements.flatMap((statement) => {
    if (/^CREATE UNIQUE INDEX ix_users_(email|username) /.test(statement)) return []
    if (statement.startsWith('CREATE TABLE users (')) {
      return [
        withoutColumns(statement, auth),
        'ALTER TABLE users ADD COLUMN email VARCHAR(255)',
        'ALTER TABLE users ADD COLUMN username VARCHAR(100)',
        'ALTER TABLE users ADD COLUMN password_hash VARCHAR(255)',
        'ALTER TABLE users ADD COLUMN is_active BOOLEAN DEFAULT TRUE',
        "ALTER TABLE users ADD COLUMN role VARCHAR(20) DEFAULT 'user'",
        'ALTER TABLE users ADD COLUMN updated_at TIMESTAMP',
        'ALTER TABLE users ADD COLUMN last_login_at TIMESTAMP',
        'ALTER TABLE users ADD COLUMN reset_token VARCHAR(255)',
        'ALTER TABLE users ADD COLUMN reset_token_expires TIMESTAMP',
        'CREATE UNIQUE INDEX ix_users_email ON users(email) WHERE email IS NOT NULL',
        'CREATE UNIQUE INDEX ix_users_username ON users(username) WHERE username IS NOT NULL',
      ]
    }
    if (statement.startsWith('CREATE TABLE climbs (')) {
      return [
        withoutColumns(statement, tracing),
        'ALTER TABLE climbs ADD COLUMN created_by_id UUID REFERENCES users(id)',
        'ALTER TABLE climbs ADD COLUMN updated_by_id UUID REFERENCES users(id)',
        'ALTER TABLE climbs ADD COLUMN updated_at TIMESTAMP',
      ]
    }
    return [statement]
  })
}

/** A CREATE TABLE without the lines of these columns and of their foreign keys. */
function withoutColumns(statement: string, columns: string[]): string {
  return statement
    .split('\n')
    .filter((line) => !columns.some((column) => line.startsWith(`\t${column} `) || line.startsWith(`\tFOREIGN KEY(${column})`)))
    .join('\n')
    .replace(/, \n\)$/, '\n)')
}
