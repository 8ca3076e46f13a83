import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {dashedUuid} from '../../src/lib/db/encodings.js'
import {MastocMigrationSource} from '../../src/lib/db/migrationSource.js'
import {runCommand} from '../support/runCommand.js'
import {DATABASE_KINDS, testDatabases, unavailable, type TestDatabase} from '../support/databases.js'
import {expectedGymData, readGymData, writeCounts} from '../support/gymData.js'
import {writeEarlierLayoutGym} from '../support/earlierLayout.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {DEFAULT_TOKEN, startStoktServer, type StoktServer} from '../support/stoktServer.js'

/**
 * Upgrading the importer on a box whose database an earlier version migrated (the migrations it
 * recorded are not run again, so the database keeps the shapes they had then), and rolling an
 * upgrade back (a database a later version migrated).
 */
describe.each(DATABASE_KINDS)('the current build on a database another build migrated, on %s', (kind) => {
  const skip = unavailable(kind)
  let gym: GeneratedGym
  let server: StoktServer
  const databases = testDatabases(kind)
  const importAll = (database: TestDatabase, flags: string[] = []) =>
    runCommand(['import', 'all', '--json', ...flags], {
      DATABASE_URL: database.url,
      MASTOC_GYM: gym.gymId,
      STOKT_URL: server.url,
      STOKT_TOKEN: DEFAULT_TOKEN,
    })

  beforeAll(async () => {
    if (skip) return
    gym = generateGym({seed: 23, faces: 2, holdsPerFace: 30, climbs: 40, setters: 6})
    server = await startStoktServer({gym})
  })
  afterAll(async () => {
    await server?.close()
    await databases.dropAll()
  })

  it.skipIf(skip)('imports, by batch and row by row, where import_locks was made before it had host and pid', async () => {
    // As the builds before 16423a7 left it: the initial migration, then import_locks without the
    // columns that were added to its migration later.
    const database = await databases.fresh()
    const knex = database.knex()
    await knex.migrate.up()
    await knex.schema.createTable('import_locks', (table) => {
      table.string('gym_stokt_id', 36).primary()
      table.uuid('run_id').notNullable()
      table.text('holder').notNullable()
      table.timestamp('acquired_at', {useTz: true, precision: 6}).notNullable()
      table.timestamp('heartbeat_at', {useTz: true, precision: 6}).notNullable()
    })
    await knex('knex_migrations').insert({name: '20261126000100_import_locks', batch: 1, migration_time: new Date()})

    const first = await importAll(database)
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(await readGymData(knex)).toEqual(expectedGymData(gym))

    const stamps = await writeCounts(knex)
    const rowByRow = await importAll(database, ['--no-batch'])
    expect(rowByRow.stderr).toBe('')
    expect(rowByRow.code).toBe(0)
    expect(await writeCounts(knex)).toEqual(stamps)
    expect(await knex('import_locks').select('gym_stokt_id')).toEqual([])
  })

  it.skipIf(skip)(
    "converts the earlier version's own layout to the server's, keeping every row and the run history; the next import writes nothing",
    async () => {
      const database = await databases.fresh()
      const knex = database.knex()
      const migrations = await new MastocMigrationSource().getMigrations()
      for (let step = 0; step <= migrations.indexOf('20261126000300_import_locks_host'); step++) await knex.migrate.up()
      await writeEarlierLayoutGym(knex, gym)
      const earlierRun = {
        id: '0190a5e2-0000-7000-8000-00000000a001',
        command: 'import all',
        strategy: 'batch',
        gym_stokt_id: gym.gymId,
        dry_run: false,
        started_at: '2026-11-30T03:17:00.000000Z',
        status: 'succeeded',
      }
      await knex('import_runs').insert(earlierRun)
      const ids = await knex('climbs').orderBy('stokt_id').pluck('id')

      const migrate = await runCommand(['db', 'migrate'], {DATABASE_URL: database.url})
      expect(migrate.stderr).toBe('')
      expect(migrate.code).toBe(0)
      expect(await readGymData(knex)).toEqual(expectedGymData(gym))
      expect((await knex('climbs').orderBy('stokt_id').pluck('id')).map(String).map(dashedUuid)).toEqual(ids.map(String))
      const before = await writeCounts(knex)
      const next = await importAll(database)
      expect(next.stderr).toBe('')
      expect(next.code).toBe(0)
      const summary = JSON.parse(next.stdout)
      for (const entity of ['faces', 'holds', 'users', 'climbs']) expect(summary[entity], entity).toMatchObject({created: 0, updated: 0})
      expect(await writeCounts(knex)).toEqual(before)
      const status = JSON.parse((await runCommand(['status', '--json'], {DATABASE_URL: database.url})).stdout)
      expect(status.runs.map((run: {status: string}) => run.status)).toEqual(['succeeded', 'succeeded'])
    },
  )

  it.skipIf(skip)('refuses, saying so and writing nothing, a database a later version has migrated (an upgrade rolled back)', async () => {
    const database = await databases.fresh()
    const knex = database.knex()
    expect((await importAll(database)).code).toBe(0)
    const later = '20991231000000_from_a_later_build'
    await knex('knex_migrations').insert({name: later, batch: 9, migration_time: new Date()})
    const stamps = await writeCounts(knex)
    const runs = await knex('import_runs').count({count: '*'})

    const refusal = `it was migrated by a later version of mastoc (migration ${later}, unknown to this one): use that version, or roll those migrations back with it first`
    const result = await importAll(database)
    expect(result.code).toBe(1)
    expect(result.stderr.replace(/\s*›\s*/g, ' ')).toContain(refusal)
    const migrate = await runCommand(['db', 'migrate'], {DATABASE_URL: database.url})
    expect(migrate.code).toBe(1)
    expect(migrate.stderr.replace(/\s*›\s*/g, ' ')).toContain(refusal)
    expect(await writeCounts(knex)).toEqual(stamps)
    expect(await knex('import_runs').count({count: '*'})).toEqual(runs)
    // status only reads, and still answers.
    expect((await runCommand(['status'], {DATABASE_URL: database.url})).code).toBe(0)
  })
})
