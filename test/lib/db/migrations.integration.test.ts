import {spawnSync} from 'node:child_process'
import {hostname} from 'node:os'

import type {Knex} from 'knex'
import {describe, expect, it} from 'vitest'

import {MastocMigrationSource} from '../../../src/lib/db/migrationSource.js'
import {runCli} from '../../support/cli.js'
import {migrateToLatest} from '../../../src/lib/db/migrate.js'
import {createTestDatabase, DATABASE_KINDS, unavailable} from '../../support/databases.js'

const RUNS_AT_ONCE = 6

describe.each(DATABASE_KINDS)('migrating on %s', (kind) => {
  it.skipIf(unavailable(kind))(
    `${RUNS_AT_ONCE} processes migrating a new database at the same moment all succeed, and migrate it once`,
    async () => {
      // Cron starting one import per gym at the same minute: each run migrates first. Before, now and
      // then one of them failed, creating knex's own migration tables at the same moment as another,
      // or switching a new SQLite file to WAL (measured: 3 runs in 40 on SQLite, four at a time).
      const database = await createTestDatabase(kind)
      try {
        const runs = await Promise.all(Array.from({length: RUNS_AT_ONCE}, () => runCli(['db', 'migrate', '--database', database.url])))
        expect(runs.map(({code, stderr}) => ({code, stderr}))).toEqual(runs.map(() => ({code: 0, stderr: ''})))
        const migrations = await new MastocMigrationSource().getMigrations()
        const recorded: {name: string}[] = await database.knex()('knex_migrations').select('name')
        expect(recorded.map((row) => row.name).sort()).toEqual([...migrations].sort())
        expect(await database.knex()('knex_migrations_lock').select('is_locked')).toEqual([{is_locked: 0}])
      } finally {
        await database.drop()
      }
    },
  )

  it.skipIf(unavailable(kind))(
    'frees the migration lock a run killed while migrating left set, which failed every run after it',
    async () => {
      const database = await createTestDatabase(kind)
      try {
        const knex = database.knex()
        // knex's tables as a run killed inside server_layout (which runs outside knex's transaction) leaves them.
        const serial = kind === 'postgres' ? 'serial primary key' : 'integer not null primary key autoincrement'
        await knex.raw(`create table knex_migrations (id ${serial}, name varchar(255), batch integer, migration_time timestamp)`)
        await knex.raw(`create table knex_migrations_lock (${kind === 'postgres' ? '"index"' : '`index`'} ${serial}, is_locked integer)`)
        await knex('knex_migrations_lock').insert({is_locked: 1})
        if (kind === 'sqlite') {
          // SQLite records who set out to migrate: here, a process of this host that is gone.
          const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'})
          await knex.raw(
            'create table knex_migrations_lock_holder (pid integer not null, host varchar(255) not null, since varchar(32) not null)',
          )
          await knex('knex_migrations_lock_holder').insert({pid: Number(gone.stdout), host: hostname(), since: '2026-12-06T03:17:00.000Z'})
        }

        const migrated = await runCli(['db', 'migrate', '--database', database.url])
        expect({code: migrated.code, stderr: migrated.stderr}).toEqual({code: 0, stderr: ''})
        const recorded: string[] = await knex('knex_migrations').orderBy('id').pluck('name')
        expect(recorded).toEqual(await new MastocMigrationSource().getMigrations())
        expect(await knex('knex_migrations_lock').select('is_locked')).toEqual([{is_locked: 0}])
      } finally {
        await database.drop()
      }
    },
  )

  it.skipIf(unavailable(kind))(
    'rolled back, drops the tables it created and leaves those the mastoc server had made, with their rows',
    async () => {
      const database = await createTestDatabase(kind)
      try {
        const knex = database.knex()
        // The server's own users table, with a column of its own and a user the server made.
        await knex.schema.createTable('users', (table) => {
          table.uuid('id').primary()
          table.string('stokt_id', 36).unique()
          table.string('full_name', 255).notNullable()
          table.text('avatar_path')
          table.string('source', 16).notNullable()
          table.text('password_hash')
          table.timestamp('created_at', {useTz: true, precision: 6}).notNullable()
          table.timestamp('updated_at', {useTz: true, precision: 6}).notNullable()
        })
        const admin = {id: '0190a5e2-0000-7000-8000-000000000001', full_name: 'Admin', source: 'mastoc', password_hash: 'x'}
        await knex('users').insert({...admin, created_at: '2026-01-01T00:00:00.000000Z', updated_at: '2026-01-01T00:00:00.000000Z'})

        await migrateToLatest(knex)
        expect(await tableNames(knex)).toEqual(expect.arrayContaining(['gyms', 'faces', 'holds', 'users', 'climbs', 'import_runs']))
        await knex.migrate.rollback(undefined, true)

        const left = await tableNames(knex)
        expect(left).toContain('users')
        for (const table of ['gyms', 'faces', 'holds', 'climbs', 'import_runs']) expect(left).not.toContain(table)
        expect(await knex('users').select('id', 'full_name', 'source', 'password_hash')).toEqual(
          [admin].map(({id, full_name, source, password_hash}) => ({id, full_name, source, password_hash})),
        )
      } finally {
        await database.drop()
      }
    },
  )

  it.skipIf(unavailable(kind))('rolled back on a database it made whole, drops every table it made', async () => {
    const database = await createTestDatabase(kind)
    try {
      const knex = database.knex()
      await migrateToLatest(knex)
      await knex.migrate.rollback(undefined, true)
      expect((await tableNames(knex)).filter((name) => !name.startsWith('knex_'))).toEqual([])
    } finally {
      await database.drop()
    }
  })
})

async function tableNames(knex: Knex): Promise<string[]> {
  if (knex.client.config.client === 'pg') {
    const {rows} = await knex.raw(
      `select table_name as name from information_schema.tables where table_schema = current_schema() order by 1`,
    )
    return rows.map((row: {name: string}) => row.name)
  }
  const rows: {name: string}[] = await knex.raw(
    `select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by 1`,
  )
  return rows.map((row) => row.name)
}
