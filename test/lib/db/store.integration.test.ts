import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {migrateToLatest} from '../../../src/lib/db/migrate.js'
import {roundInstant, toCanonicalInstant} from '../../../src/lib/common/instant.js'
import {testDatabases, unavailable} from '../../support/databases.js'
import {writeCounts} from '../../support/gymData.js'
import {generateGym, type GeneratedGym} from '../../support/gymGenerator.js'
import {importGym} from '../../support/importRun.js'
import {startStoktServer, type StoktServer} from '../../support/stoktServer.js'

/**
 * The mastoc server may have made `climbs` itself, its `created_at` coarser than the importer's
 * microseconds (`timestamp(3)`, as Prisma makes them) or without time zone. SQLite has one kind of
 * instant column, text, which keeps all six digits: these are PostgreSQL's cases.
 */
const COLUMN_TYPES = [
  {type: 'timestamp(3) with time zone', digits: 3},
  {type: 'timestamp(6) without time zone', digits: 6},
  {type: 'timestamp(0) without time zone', digits: 0},
]

const STRATEGIES = [
  {name: 'batch', flags: {batch: true, 'batch-size': 40}},
  {name: 'row-by-row', flags: {batch: false}},
] as const

describe('on postgres, climbs.created_at as the mastoc server made it', () => {
  const skip = unavailable('postgres')
  const databases = testDatabases('postgres')
  let gym: GeneratedGym
  let server: StoktServer

  beforeAll(async () => {
    if (skip) return
    gym = generateGym({seed: 23, faces: 1, holdsPerFace: 30, climbs: 60, setters: 5})
    server = await startStoktServer({gym, pageSize: 25})
  })

  afterAll(async () => {
    await server?.close()
    await databases.dropAll()
  })

  describe.each(STRATEGIES)('with the $name strategy', ({flags}) => {
    it.skipIf(skip).each(COLUMN_TYPES)(
      '$type: keeps each instant as the column can, and a re-run writes nothing',
      async ({type, digits}) => {
        const database = await databases.fresh()
        const knex = database.knex()
        await migrateToLatest(knex)
        await knex.raw(`alter table climbs alter column created_at type ${type}`)

        const first = await importGym('all', server, database.url, {gym: gym.gymId, ...flags})
        expect(first.exitCode).toBe(0)
        const stored = new Map(
          (await knex('climbs').select('stokt_id', 'created_at')).map((row) => [row.stokt_id, toCanonicalInstant(row.created_at)]),
        )
        for (const climb of gym.climbs) {
          const canonical = toCanonicalInstant(climb.dateCreated as string)!
          expect(stored.get(climb.id)).toBe(digits === 6 ? canonical : roundInstant(canonical, digits))
        }

        const stamps = await writeCounts(knex)
        const again = await importGym('all', server, database.url, {gym: gym.gymId, ...flags})
        expect(again.summary.climbs).toEqual({created: 0, updated: 0, unchanged: gym.climbs.length, errors: 0, total: gym.climbs.length})
        expect(await writeCounts(knex)).toEqual(stamps)
      },
    )
  })

  it.skipIf(skip)('rounds as PostgreSQL does, ties and carries included', async () => {
    const knex = (await databases.fresh()).knex()
    const instants = [
      '2026-10-27T10:43:49.513500Z',
      '2026-10-27T10:43:49.513499Z',
      '1999-12-31T23:59:59.513500Z',
      '1970-01-01T00:00:00.000500Z',
      '2025-12-31T23:59:59.999500Z',
      '2025-12-31T23:59:59.500000Z',
      '0001-01-01T00:00:00.000500Z',
    ]
    for (const digits of [0, 1, 2, 3, 4, 5]) {
      for (const instant of instants) {
        const {rows} = await knex.raw(`select (?::timestamptz)::timestamptz(${digits}) as kept`, [instant])
        expect(roundInstant(instant, digits), `${instant} to ${digits} digits`).toBe(toCanonicalInstant(rows[0].kept))
      }
    }
  })
})
