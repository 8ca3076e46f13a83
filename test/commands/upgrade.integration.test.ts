import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../support/cli.js'
import {DATABASE_KINDS, testDatabases, unavailable, type TestDatabase} from '../support/databases.js'
import {expectedGymData, readGymData, writeStamps} from '../support/gymData.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {DEFAULT_TOKEN, startStoktServer, type StoktServer} from '../support/stoktServer.js'

/**
 * Upgrading the importer on a box whose database an earlier build migrated: the migrations it
 * recorded are not run again, so the database keeps the shapes they had then.
 */
describe.each(DATABASE_KINDS)('the current build on a database an earlier build migrated, on %s', (kind) => {
  const skip = unavailable(kind)
  let gym: GeneratedGym
  let server: StoktServer
  const databases = testDatabases(kind)
  const importAll = (database: TestDatabase, flags: string[] = []) =>
    runCli(['import', 'all', '--json', ...flags], {DATABASE_URL: database.url, MASTOC_GYM: gym.gymId, STOKT_URL: server.url, STOKT_TOKEN: DEFAULT_TOKEN})

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

    const stamps = await writeStamps(knex)
    const rowByRow = await importAll(database, ['--no-batch'])
    expect(rowByRow.stderr).toBe('')
    expect(rowByRow.code).toBe(0)
    expect(await writeStamps(knex)).toEqual(stamps)
    expect(await knex('import_locks').select('gym_stokt_id')).toEqual([])
  })
})
