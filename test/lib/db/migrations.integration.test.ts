import {describe, expect, it} from 'vitest'

import {MastocMigrationSource} from '../../../src/lib/db/migrationSource.js'
import {runCli} from '../../support/cli.js'
import {createTestDatabase, DATABASE_KINDS, unavailable} from '../../support/databases.js'

const RUNS_AT_ONCE = 6

describe.each(DATABASE_KINDS)('migrating on %s', (kind) => {
  it.skipIf(unavailable(kind))(`${RUNS_AT_ONCE} processes migrating a new database at the same moment all succeed, and migrate it once`, async () => {
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
  })
})
