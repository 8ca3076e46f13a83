import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {migrateToLatest} from '../../../src/lib/db/migrate.js'
import {DATABASE_KINDS, testDatabases, unavailable} from '../../support/databases.js'
import {readGymData, writeCounts} from '../../support/gymData.js'
import {generateGym, type GeneratedGym} from '../../support/gymGenerator.js'
import {importGym} from '../../support/importRun.js'
import {storedUuid} from '../../support/serverTables.js'
import {startStoktServer, type StoktServer} from '../../support/stoktServer.js'

const STRATEGIES = [
  {name: 'batch', flags: {batch: true, 'batch-size': 40}},
  {name: 'row-by-row', flags: {batch: false}},
] as const

/**
 * A re-run compares what is stored with what it would write without decoding it, and decodes only
 * the rows that differ. A row the server stored in another form of the same values (JSON spaced
 * out, an instant with an offset) must still read as unchanged, and one that
 * differs in a single value as changed.
 */
describe.each(DATABASE_KINDS)('a re-run over rows stored in another form, on %s', (kind) => {
  const skip = unavailable(kind)
  const databases = testDatabases(kind)
  let gym: GeneratedGym
  let server: StoktServer

  beforeAll(async () => {
    if (skip) return
    gym = generateGym({seed: 31, faces: 2, holdsPerFace: 20, climbs: 90, setters: 6})
    server = await startStoktServer({gym, pageSize: 25})
  })

  afterAll(async () => {
    await server?.close()
    await databases.dropAll()
  })

  describe.each(STRATEGIES)('with the $name strategy', ({flags}) => {
    it.skipIf(skip)('finds those rows unchanged and writes nothing; one changed value is an update', async () => {
      const database = await databases.fresh()
      const knex = database.knex()
      await migrateToLatest(knex)
      expect((await importGym('all', server, database.url, {gym: gym.gymId, ...flags})).exitCode).toBe(0)
      const imported = await readGymData(knex)

      const [faceId] = gym.setups.keys()
      const faceRow = await knex('faces').where('stokt_id', storedUuid(knex, faceId)).first()
      const spacedOut = JSON.stringify(
        typeof faceRow.feet_rules_options === 'string' ? JSON.parse(faceRow.feet_rules_options) : faceRow.feet_rules_options,
        null,
        2,
      )
      await knex('faces')
        .where('id', faceRow.id)
        .update({feet_rules_options: kind === 'postgres' ? knex.raw('?::json', [spacedOut]) : spacedOut})
      const [climb] = gym.climbs as {id: string}[]
      if (kind === 'sqlite') {
        const climbRow = await knex('climbs').where('stokt_id', storedUuid(knex, climb.id)).first()
        const created = String(climbRow.created_at)
        await knex('climbs')
          .where('id', climbRow.id)
          .update({created_at: `${created.slice(0, 10)}T${created.slice(11)}+00:00`})
      }

      const before = await writeCounts(knex)
      const again = await importGym('all', server, database.url, {gym: gym.gymId, ...flags})
      expect(again.summary.faces).toMatchObject({created: 0, updated: 0, unchanged: gym.setups.size})
      expect(again.summary.climbs).toMatchObject({created: 0, updated: 0, unchanged: gym.climbs.length})
      expect(await writeCounts(knex)).toEqual(before)
      expect(await readGymData(knex)).toEqual(imported)

      const changed = structuredClone(gym)
      const changedClimb = changed.climbs[1] as {totalLikes: number}
      changedClimb.totalLikes += 3
      server.setGym(changed)
      try {
        const third = await importGym('all', server, database.url, {gym: gym.gymId, ...flags})
        expect(third.summary.climbs).toMatchObject({created: 0, updated: 1, unchanged: gym.climbs.length - 1})
      } finally {
        server.setGym(gym)
      }
      const climbs = (await readGymData(knex)).climbs
      expect(climbs.find((row) => row.stokt_id === (gym.climbs[1] as {id: string}).id)?.total_likes).toBe(changedClimb.totalLikes)
    })
  })
})
