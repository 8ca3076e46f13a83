import {randomUUID} from 'node:crypto'

import type {Knex} from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {nowInstant} from '../../../src/lib/common/instant.js'
import {KnexClimbsCursor} from '../../../src/lib/db/climbsCursor.js'
import {migrateToLatest} from '../../../src/lib/db/migrate.js'
import {KnexRowStore} from '../../../src/lib/db/rowStore.js'
import {KnexRunHistory, type RunRecord} from '../../../src/lib/db/runHistory.js'
import {StatusQueries} from '../../../src/lib/db/statusQueries.js'
import {statusReader} from '../../support/statusReader.js'
import {KnexStoredClimbs} from '../../../src/lib/db/storedClimbs.js'
import {CLIMBS, FACES, GYMS, HOLDS, USERS, type ClimbValues, type FaceValues, type GymValues} from '../../../src/lib/db/tables.js'
import type {ClimbsCursor, RowStore, RunHistory, StoredClimbs} from '../../../src/lib/import/stores.js'
import {DATABASE_KINDS, testDatabases, unavailable} from '../../support/databases.js'

/**
 * The stores the import asks of the database (import/stores.ts), each on its own, as the database
 * side implements them: what each one writes, the next one (or mastoc status) reads back.
 */

const GYM = '9b3e5c7a-1d2f-4e6b-8a0c-2f4d6e8a0b1c'
const OTHER_GYM = '1c0b8a6e-4d2f-4b6e-8a0c-7a5c3e9b0d21'

const minutesAgo = (minutes: number) => nowInstant(() => new Date(Date.now() - minutes * 60_000))

describe.each(DATABASE_KINDS)('the import stores on %s', (kind) => {
  const skip = unavailable(kind)
  const databases = testDatabases(kind)
  let db: Knex
  let rows: RowStore
  let history: RunHistory
  let cursor: ClimbsCursor
  let climbs: StoredClimbs
  let status: StatusQueries
  let reader: ReturnType<typeof statusReader> | undefined

  beforeAll(async () => {
    if (skip) return
    const database = await databases.fresh()
    db = database.knex()
    await migrateToLatest(db)
    rows = new KnexRowStore(db, kind)
    history = new KnexRunHistory(db, kind)
    cursor = new KnexClimbsCursor(db, kind)
    climbs = new KnexStoredClimbs(db, kind)
    reader = statusReader(database)
    status = new StatusQueries(reader)
    await rows.inspectSchema()
  })

  afterAll(async () => {
    await reader?.close()
    await databases.dropAll()
  })

  const run = (changes: Partial<RunRecord> = {}): RunRecord => ({
    id: randomUUID(),
    command: 'import all',
    strategy: 'batch',
    gymStoktId: GYM,
    dryRun: false,
    options: {},
    startedAt: nowInstant(),
    ...changes,
  })
  const runOf = async (id: string) => (await status.latestRuns(100)).find((row) => row.id === id)

  describe('the row store', () => {
    it.skipIf(skip)(
      'writes rows in a transaction, finds them by Stokt id with what differs, and updates them; a rolled-back one leaves none',
      async () => {
        expect(await rows.emptyTables([GYMS, FACES, HOLDS, USERS, CLIMBS])).toEqual(new Set([GYMS, FACES, HOLDS, USERS, CLIMBS]))
        const gymId = randomUUID()
        const gym: GymValues = {display_name: 'Bloc du Quai', location_string: null}
        await rows.transaction((tx) => rows.insertRows(tx, GYMS, [{id: gymId, stoktId: GYM, values: gym}], nowInstant()))

        const rolledBack = rows.transaction(async (tx) => {
          await rows.insertRows(tx, GYMS, [{id: randomUUID(), stoktId: OTHER_GYM, values: gym}], nowInstant())
          throw new Error('the batch failed')
        })
        await expect(rolledBack).rejects.toThrow('the batch failed')

        // A row stored as it would be written comes back without its values: nothing to compare.
        const unchanged = {id: gymId}
        const renamed: GymValues = {display_name: 'Bloc du Quai (Lyon)', location_string: 'Lyon'}
        const find = (values: GymValues) =>
          rows.transaction((tx) =>
            rows.findByStoktIds(tx, GYMS, [
              {stoktId: GYM, values},
              {stoktId: OTHER_GYM, values},
            ]),
          )
        expect(await find(gym)).toEqual([unchanged, undefined])
        expect(await find(renamed)).toEqual([{id: gymId, values: gym}, undefined])

        await rows.transaction((tx) => rows.updateRows(tx, GYMS, [{id: gymId, values: renamed}], nowInstant()))
        expect(await find(renamed)).toEqual([unchanged, undefined])
        expect(await find(gym)).toEqual([{id: gymId, values: renamed}, undefined])
        expect(await rows.emptyTables([GYMS, FACES])).toEqual(new Set([FACES]))
        await rows.checkpoint()
      },
    )

    it.skipIf(skip)('names the Stokt field of a value longer than its column', () => {
      const values: GymValues = {display_name: 'x'.repeat(256), location_string: null}
      expect(rows.storageProblem(GYMS, GYM, values)).toBe(
        "displayName: is 256 characters, more than the 255 of the server's gyms.display_name",
      )
      expect(rows.storageProblem(GYMS, GYM, {...values, display_name: 'x'.repeat(255)})).toBeUndefined()
    })
  })

  describe('the run history', () => {
    it.skipIf(skip)('records a run waiting for the lock, then running, then how it ended', async () => {
      const waiting = run({options: {waitLock: 30}})
      await history.startRun(waiting, 'waiting')
      expect(await runOf(waiting.id)).toMatchObject({status: 'waiting', finishedAt: null, options: {waitLock: 30}})

      await history.markRunning(waiting.id)
      expect(await runOf(waiting.id)).toMatchObject({status: 'running'})

      const finishedAt = nowInstant()
      const summary = {climbs: {created: 1, updated: 0, unchanged: 0, errors: 0, total: 1}}
      await history.finishRun(waiting.id, {status: 'succeeded', finishedAt, summary, error: null, options: {waitLock: 30, maxAge: 9999}})
      expect(await runOf(waiting.id)).toEqual({
        ...waiting,
        options: {waitLock: 30, maxAge: 9999},
        status: 'succeeded',
        finishedAt,
        summary,
        error: null,
      })
    })

    it.skipIf(skip)("marks abandoned the gym's runs whose process died, not one still within its wait, nor another gym's", async () => {
      const self = run()
      const running = run({startedAt: minutesAgo(1)})
      const waitedOut = run({startedAt: minutesAgo(10), options: {waitLock: 30}})
      const stillWaiting = run({startedAt: minutesAgo(10), options: {waitLock: 3600}})
      const otherGym = run({gymStoktId: OTHER_GYM})
      await history.startRun(running, 'running')
      await history.startRun(waitedOut, 'waiting')
      await history.startRun(stillWaiting, 'waiting')
      await history.startRun(otherGym, 'running')
      await history.startRun(self, 'running')

      expect(await history.abandonDeadRuns(GYM, self.id, nowInstant())).toBe(2)
      expect((await runOf(running.id))?.status).toBe('abandoned')
      expect((await runOf(running.id))?.error).toContain(`by run ${self.id}`)
      expect((await runOf(waitedOut.id))?.status).toBe('abandoned')
      expect((await runOf(stillWaiting.id))?.status).toBe('waiting')
      expect((await runOf(otherGym.id))?.status).toBe('running')
      expect((await runOf(self.id))?.status).toBe('running')
    })
  })

  describe('the status queries', () => {
    it.skipIf(skip)("list a gym's last completed run that wrote: not a dry run, not a failed one", async () => {
      const gym = randomUUID()
      const succeeded = run({gymStoktId: gym, startedAt: minutesAgo(30)})
      const dryRun = run({gymStoktId: gym, startedAt: minutesAgo(20), dryRun: true})
      const failed = run({gymStoktId: gym, startedAt: minutesAgo(10)})
      for (const [record, outcome] of [
        [succeeded, 'succeeded'],
        [dryRun, 'dry-run'],
        [failed, 'failed'],
      ] as const) {
        await history.startRun(record, 'running')
        await history.finishRun(record.id, {status: outcome, finishedAt: nowInstant(), summary: null, error: null})
      }

      expect((await status.lastCompletedRuns(gym)).map((row) => row.id)).toEqual([succeeded.id])
      expect((await status.latestRuns(2, gym.slice(0, 8))).map((row) => row.id)).toEqual([failed.id, dryRun.id])
    })

    it.skipIf(skip)('answer on a database never imported into: no rows, no runs', async () => {
      const fresh = await databases.fresh()
      await fresh.knex().raw('select 1') // a SQLite file made, with no table in it
      const neverReader = statusReader(fresh)
      try {
        const never = new StatusQueries(neverReader)
        expect(await never.counts()).toEqual({gyms: 0, faces: 0, holds: 0, users: 0, climbs: 0})
        expect(await never.latestRuns(10)).toEqual([])
        expect(await never.lastCompletedRuns()).toEqual([])
      } finally {
        await neverReader.close()
      }
    })
  })

  describe('the climbs cursor', () => {
    it.skipIf(skip)('is written with the batch it commits with, and moves only when that commits', async () => {
      const gym = randomUUID()
      expect(await cursor.readClimbsCursor(gym)).toBeUndefined()

      const first = minutesAgo(60)
      await rows.transaction((tx) =>
        cursor.writeClimbsCursor(tx, {gymStoktId: gym, climbsStartedAt: first, runId: randomUUID(), now: nowInstant()}),
      )
      expect(await cursor.readClimbsCursor(gym)).toBe(first)

      const rolledBack = rows.transaction(async (tx) => {
        await cursor.writeClimbsCursor(tx, {gymStoktId: gym, climbsStartedAt: nowInstant(), runId: randomUUID(), now: nowInstant()})
        throw new Error('the last batch failed')
      })
      await expect(rolledBack).rejects.toThrow('the last batch failed')
      expect(await cursor.readClimbsCursor(gym)).toBe(first)

      const second = minutesAgo(5)
      await rows.transaction((tx) =>
        cursor.writeClimbsCursor(tx, {gymStoktId: gym, climbsStartedAt: second, runId: randomUUID(), now: nowInstant()}),
      )
      expect(await cursor.readClimbsCursor(gym)).toBe(second)
    })
  })

  describe("the gym's stored climbs", () => {
    it.skipIf(skip)("are the climbs from Stokt on the gym's faces, named with their face", async () => {
      const gymStoktId = randomUUID()
      const otherGymStoktId = randomUUID()
      const [gymId, otherGymId, faceId, otherFaceId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()]
      const [faceStoktId, otherFaceStoktId] = [randomUUID(), randomUUID()]
      const face = (gym: string): FaceValues => ({
        gym_id: gym,
        picture_path: '',
        picture_width: null,
        picture_height: null,
        feet_rules_options: [],
        has_symmetry: false,
      })
      const climb = (name: string, face: string): ClimbValues => ({
        face_id: face,
        setter_id: null,
        name,
        holds_list: 'S1 T2',
        mirror_holds_list: null,
        grade_font: null,
        grade_ircra: null,
        feet_rule: null,
        is_private: false,
        is_benchmark: false,
        climbed_by: 0,
        total_likes: 0,
        total_comments: 0,
        created_at: nowInstant(),
      })
      const ours = [randomUUID(), randomUUID(), randomUUID()].sort()
      const theirs = randomUUID()
      await rows.transaction(async (tx) => {
        const now = nowInstant()
        await rows.insertRows(
          tx,
          GYMS,
          [
            {id: gymId, stoktId: gymStoktId, values: {display_name: 'Ours', location_string: null}},
            {id: otherGymId, stoktId: otherGymStoktId, values: {display_name: 'Theirs', location_string: null}},
          ],
          now,
        )
        await rows.insertRows(
          tx,
          FACES,
          [
            {id: faceId, stoktId: faceStoktId, values: face(gymId)},
            {id: otherFaceId, stoktId: otherFaceStoktId, values: face(otherGymId)},
          ],
          now,
        )
        await rows.insertRows(
          tx,
          CLIMBS,
          [
            ...ours.map((stoktId, index) => ({stoktId, values: climb(`Climb ${index}`, faceId)})),
            {stoktId: theirs, values: climb('Theirs', otherFaceId)},
          ],
          now,
        )
      })

      expect(await climbs.countClimbsOfGym(gymStoktId)).toBe(3)
      expect((await climbs.climbStoktIdsOfGym(gymStoktId)).sort()).toEqual(ours)
      expect(await climbs.describeClimbs([ours[0], theirs, randomUUID()])).toEqual(
        new Map([
          [ours[0], {name: 'Climb 0', faceStoktId}],
          [theirs, {name: 'Theirs', faceStoktId: otherFaceStoktId}],
        ]),
      )
    })
  })
})
