import type {Knex} from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {migrateToLatest} from '../../../src/lib/db/migrate.js'
import {testDatabases, unavailable} from '../../support/databases.js'
import {expectedGymData, readGymData} from '../../support/gymData.js'
import {generateGym, type GeneratedGym} from '../../support/gymGenerator.js'
import {importGym} from '../../support/importRun.js'
import {insertStoktUser} from '../../support/serverTables.js'
import {startStoktServer, type StoktServer} from '../../support/stoktServer.js'

/**
 * Another writer inserting the same setters in the other order — another gym's import sharing
 * them — deadlocks with the import on PostgreSQL, which gives up one of the two transactions.
 * SQLite has no such case: its writers take the database's lock in turn, as a transaction begins.
 * Nor has row by row: a record's transaction writes one row, so it never holds one while waiting
 * for another.
 */
describe('on postgres, a transaction given up in a deadlock', () => {
  const skip = unavailable('postgres')
  const databases = testDatabases('postgres')
  let gym: GeneratedGym
  let server: StoktServer

  beforeAll(async () => {
    if (skip) return
    gym = generateGym({seed: 11, faces: 1, holdsPerFace: 20, climbs: 30, setters: 2})
    server = await startStoktServer({gym, pageSize: 30})
  })

  afterAll(async () => {
    await server?.close()
    await databases.dropAll()
  })

  it.skipIf(skip)("is written again, record by record: the batch import completes with Stokt's data", async () => {
    const database = await databases.fresh()
    const knex = database.knex()
    await migrateToLatest(knex)
    // The import inserts the setters in the order the climbs name them; the other writer takes the
    // second one first, then waits for the import to let go of the first.
    const [first, second] = settersInServedOrder(gym)

    const other = await knex.transaction()
    try {
      // The import's session detects the deadlock (after its 1 s deadlock_timeout) and is given up.
      await other.raw(`set local deadlock_timeout = '60s'`)
      await insertUser(other, second, 'Written by the other writer')
      const imported = importGym('all', server, database.url, {gym: gym.gymId, batch: true})
      await waitForLockWait(knex, await backendPid(other))
      await insertUser(other, first, 'Written by the other writer')
      await other.commit()

      const result = await imported
      expect(result.exitCode).toBe(0)
      expect(result.summary.users).toMatchObject({created: 0, updated: 2, errors: 0, total: 2})
      expect(result.summary.climbs).toMatchObject({created: gym.climbs.length, errors: 0})
      expect(await readGymData(knex)).toEqual(expectedGymData(gym))
    } finally {
      if (!other.isCompleted()) await other.rollback()
    }
  })
})

/** The setters' Stokt ids, in the order the climbs served first name them. */
function settersInServedOrder(gym: GeneratedGym): string[] {
  const ids: string[] = []
  for (const climb of gym.climbs) {
    const setter = climb.climbSetters as {id: string} | null | undefined
    if (setter && !ids.includes(setter.id)) ids.push(setter.id)
  }
  return ids
}

async function insertUser(tx: Knex.Transaction, stoktId: string, fullName: string): Promise<void> {
  await insertStoktUser(tx, stoktId, fullName)
}

async function backendPid(tx: Knex.Transaction): Promise<number> {
  const {rows} = await tx.raw('select pg_backend_pid() as pid')
  return rows[0].pid as number
}

/** Until a session other than `ownPid` waits for a lock: the import, on the row `ownPid` inserted. */
async function waitForLockWait(knex: Knex, ownPid: number): Promise<void> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const {rows} = await knex.raw(
      `select count(*)::int as waiting from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database() and pid <> ?`,
      [ownPid],
    )
    if (rows[0].waiting > 0) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('the import never waited for the other writer')
}
