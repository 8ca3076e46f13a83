import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect} from 'vitest'

import {DATABASE_KINDS, testDatabases, unavailable} from '../../support/databases.js'
import {expectedGymData, readGymData, wallNameOf, writeCounts} from '../../support/gymData.js'
import {generateGym, type GeneratedGym} from '../../support/gymGenerator.js'
import {importGym, type ImportFlagOverrides} from '../../support/importRun.js'
import {insertStoktUser, storedUuid} from '../../support/serverTables.js'
import type {ImportCommand} from '../../../src/lib/import/ports.js'
import {isClimbsPage, sendJson, startStoktServer, type StoktServer} from '../../support/stoktServer.js'
import {it} from '../../support/withStoktServer.js'

const STRATEGIES = [
  {name: 'batch', flags: {batch: true, 'batch-size': 40}},
  {name: 'row-by-row', flags: {batch: false}},
] as const

describe.each(DATABASE_KINDS)('import on %s', (kind) => {
  const skip = unavailable(kind)
  let gym: GeneratedGym
  let server: StoktServer
  const databases = testDatabases(kind)
  const importLive = (command: ImportCommand, database: string, flags: ImportFlagOverrides = {}) =>
    importGym(command, server, database, {gym: gym.gymId, ...flags})

  beforeAll(async () => {
    if (skip) return
    gym = generateGym({seed: 7, faces: 3, holdsPerFace: 50, climbs: 130, setters: 11})
    server = await startStoktServer({gym, pageSize: 25})
  })

  afterAll(async () => {
    await server?.close()
    await databases.dropAll()
  })

  describe.each(STRATEGIES)('with the $name strategy', ({name, flags}) => {
    it.skipIf(skip)('imports every record field for field, then a re-run changes nothing', async () => {
      const database = await databases.fresh()
      const first = await importLive('all', database.url, flags)

      const faces = gym.setups.size
      const holds = [...gym.setups.values()].reduce((sum, setup) => sum + (setup.holds as unknown[]).length, 0)
      const expected = expectedGymData(gym)
      expect(first.exitCode).toBe(0)
      expect(first.summary).toMatchObject({
        gym: gym.gymId,
        strategy: name,
        dryRun: false,
        faces: {created: faces, updated: 0, unchanged: 0, errors: 0, total: faces},
        holds: {created: holds, updated: 0, unchanged: 0, errors: 0, total: holds},
        users: {created: expected.users.length, updated: 0, unchanged: 0, errors: 0, total: expected.users.length},
        climbs: {created: gym.climbs.length, updated: 0, unchanged: 0, errors: 0, total: gym.climbs.length},
        rejected: [],
      })
      expect(await readGymData(database.knex())).toEqual(expected)

      const stamps = await writeCounts(database.knex())
      const again = await importLive('all', database.url, flags)
      expect(again.exitCode).toBe(0)
      for (const entity of ['faces', 'holds', 'users', 'climbs'] as const) {
        expect(again.summary[entity]).toMatchObject({created: 0, updated: 0, errors: 0, unchanged: first.summary[entity]!.total})
      }
      expect(await writeCounts(database.knex())).toEqual(stamps)
    })

    it.skipIf(skip)('finds again the climbs and setters Stokt serves with upper-case ids: a re-run changes nothing', async () => {
      const database = await databases.fresh()
      const shouting = generateGym({seed: 7, faces: 3, holdsPerFace: 50, climbs: 130, setters: 11})
      const climbs = shouting.climbs as Record<string, unknown>[]
      const withSetter = climbs.find((climb) => climb.climbSetters)!
      const setterId = (withSetter.climbSetters as {id: string}).id
      for (const climb of climbs) {
        const setter = climb.climbSetters as {id: string} | null | undefined
        if (setter?.id === setterId) climb.climbSetters = {...setter, id: setterId.toUpperCase()}
      }
      for (const climb of climbs.slice(0, 3)) climb.id = String(climb.id).toUpperCase()
      server.setGym(shouting)
      try {
        const first = await importLive('all', database.url, flags)
        expect(first.summary.rejected).toEqual([])
        const stamps = await writeCounts(database.knex())
        const again = await importLive('all', database.url, flags)
        expect(again.exitCode).toBe(0)
        expect(again.summary.rejected).toEqual([])
        for (const entity of ['users', 'climbs'] as const) {
          expect(again.summary[entity]).toMatchObject({created: 0, updated: 0, errors: 0, unchanged: first.summary[entity]!.total})
        }
        expect(await writeCounts(database.knex())).toEqual(stamps)
      } finally {
        server.setGym(gym)
      }
    })

    it.skipIf(skip)('reaches the same data through holds, then users, then climbs', async () => {
      const database = await databases.fresh()
      const holds = await importLive('holds', database.url, flags)
      expect(holds.summary.users).toBeUndefined()
      expect(holds.summary.climbs).toBeUndefined()
      const users = await importLive('users', database.url, flags)
      expect(users.summary.faces).toBeUndefined()
      expect(users.summary.climbs).toBeUndefined()
      const climbs = await importLive('climbs', database.url, flags)
      expect(climbs.summary.holds).toBeUndefined()
      expect(climbs.summary.users).toMatchObject({created: 0, updated: 0})
      expect(climbs.summary.climbs).toMatchObject({created: gym.climbs.length, errors: 0})
      expect(await readGymData(database.knex())).toEqual(expectedGymData(gym))
    })

    it.skipIf(skip)('writes nothing on a dry run, and reports what it would create', async () => {
      const database = await databases.fresh()
      const dry = await importLive('all', database.url, {...flags, 'dry-run': true})
      expect(dry.summary.dryRun).toBe(true)
      expect(dry.summary.holds?.created).toBeGreaterThan(0)
      expect(dry.summary.climbs).toMatchObject({created: gym.climbs.length, total: gym.climbs.length})
      const data = await readGymData(database.knex())
      expect(data).toEqual({gyms: [], faces: [], holds: [], users: [], climbs: []})
    })

    it.skipIf(skip)('updates only the records Stokt changed, and only their Stokt columns', async () => {
      const database = await databases.fresh()
      await importLive('all', database.url, flags)
      const changedGym = generateGym({seed: 7, faces: 3, holdsPerFace: 50, climbs: 130, setters: 11})
      const climb = changedGym.climbs[5] as Record<string, unknown>
      climb.name = 'Renamed – déjà vu'
      climb.totalLikes = 42
      changedGym.summary.displayName = 'Renamed gym'
      server.setGym(changedGym)
      try {
        // A dry run names every row the run will write, the gym's included.
        const dry = await importLive('all', database.url, {...flags, 'dry-run': true})
        expect(dry.summary.changes).toEqual({
          gym: {
            create: [],
            update: [{stoktId: gym.gymId, fields: [{field: 'display_name', from: gym.summary.displayName, to: 'Renamed gym'}]}],
            labels: {[gym.gymId]: {name: 'Renamed gym'}},
          },
          climbs: {
            create: [],
            update: [
              {
                stoktId: climb.id,
                fields: [
                  {field: 'name', from: (gym.climbs[5] as Record<string, unknown>).name, to: 'Renamed – déjà vu'},
                  {field: 'total_likes', from: (gym.climbs[5] as Record<string, unknown>).totalLikes, to: 42},
                ],
              },
            ],
            labels: {[climb.id as string]: {name: 'Renamed – déjà vu', face: wallNameOf(changedGym, climb.faceId)}},
          },
        })
        // A column the importer does not own keeps the value the server gave it.
        await database
          .knex()('climbs')
          .where('stokt_id', storedUuid(database.knex(), climb.id as string))
          .update({source: 'manual-edit'})
        const before = await writeCounts(database.knex())
        const result = await importLive('all', database.url, flags)
        expect(result.summary.climbs).toMatchObject({updated: 1, created: 0, unchanged: gym.climbs.length - 1})
        const row = await database
          .knex()('climbs')
          .where('stokt_id', storedUuid(database.knex(), climb.id as string))
          .first()
        expect(row).toMatchObject({name: 'Renamed – déjà vu', total_likes: 42, source: 'manual-edit'})
        const after = await writeCounts(database.knex())
        // The renamed gym and the one changed climb: no other row written.
        expect(Object.fromEntries(Object.keys(after).map((table) => [table, after[table] - before[table]]))).toEqual({
          gyms: 1,
          faces: 0,
          holds: 0,
          users: 0,
          climbs: 1,
        })
      } finally {
        server.setGym(gym)
      }
    })
  })

  it.skipIf(skip)('rejects a face whose setup Stokt does not have, with its climbs, and imports the rest', async ({withStoktServer}) => {
    const [missingFace] = [...gym.setups.keys()]
    const partial = await withStoktServer({
      gym,
      intercept: (request, res) => {
        if (request.path !== `/api/faces/${missingFace}/setup`) return false
        sendJson(res, 404, {detail: 'Not found.'})
        return true
      },
    })
    const database = await databases.fresh()
    const result = await importGym('all', partial, database.url, {gym: gym.gymId})
    const onMissingFace = gym.climbs.filter((climb) => climb.faceId === missingFace)
    expect(result.exitCode).toBe(3)
    expect(result.summary.faces).toMatchObject({created: gym.setups.size - 1, errors: 1})
    expect(result.summary.climbs).toMatchObject({created: gym.climbs.length - onMissingFace.length, errors: onMissingFace.length})
    expect(result.summary.rejected[0]).toEqual({
      entity: 'face',
      stoktId: missingFace,
      reason: `setup: Stokt has no face ${missingFace} (GET /api/faces/${missingFace}/setup: HTTP 404)`,
    })
    expect(result.summary.rejected.filter((rejected) => rejected.entity === 'climb').map((rejected) => rejected.reason)).toEqual(
      onMissingFace.map(() => `faceId: ${missingFace} is not a face of gym ${gym.gymId} that was imported`),
    )
    const expected = expectedGymData(gym)
    const data = await readGymData(database.knex())
    expect(data.faces).toEqual(expected.faces.filter((face) => face.stokt_id !== missingFace))
    expect(data.climbs).toEqual(expected.climbs.filter((climb) => climb.face !== missingFace))
  })

  it.skipIf(skip)('leaves identical data with batch and row-by-row', async () => {
    const batch = await databases.fresh()
    const rowByRow = await databases.fresh()
    const batchResult = await importLive('all', batch.url, {batch: true, 'batch-size': 7})
    const rowResult = await importLive('all', rowByRow.url, {batch: false})
    const {durationMs: _a, strategy: _b, batchSize: _c, ...batchCounts} = batchResult.summary
    const {durationMs: _d, strategy: _e, batchSize: _f, ...rowCounts} = rowResult.summary
    expect(rowCounts).toEqual(batchCounts)
    expect(await readGymData(rowByRow.knex())).toEqual(await readGymData(batch.knex()))
  })

  it.skipIf(skip)(
    'rejects a hold Stokt serves twice, on two faces or on one, keeping the first; a re-run writes nothing, batch and row-by-row alike',
    async ({withStoktServer}) => {
      const twoFaces = generateGym({seed: 11, faces: 2, holdsPerFace: 30, climbs: 20, setters: 3})
      const [first, second] = [...twoFaces.setups.values()] as {id: string; holds: Record<string, unknown>[]}[]
      const [onBoth, twiceOnFirst] = [first.holds[0], first.holds[1]]
      second.holds.push({...onBoth, polygonStr: '1.00,1.00 2.00,2.00 3.00,1.00'})
      first.holds.push({...twiceOnFirst, area: '1.00'})
      // A climb of the second face using the hold refused there: rejected with the hold's reason.
      const usesRefused = (twoFaces.climbs as Record<string, any>[]).find((climb) => climb.faceId === second.id)!
      usesRefused.holdsList = `${usesRefused.holdsList} O${onBoth.id}`
      const holdRecords = first.holds.length + second.holds.length
      const twice = await withStoktServer({gym: twoFaces})
      const data = []
      for (const flags of [{batch: true, 'batch-size': 10}, {batch: false}]) {
        const database = await databases.fresh()
        const result = await importGym('all', twice, database.url, {gym: twoFaces.gymId, ...flags})
        expect(result.exitCode).toBe(3)
        expect(result.summary.holds).toEqual({created: holdRecords - 2, updated: 0, unchanged: 0, errors: 2, total: holdRecords})
        expect(result.summary.rejected).toEqual([
          {
            entity: 'hold',
            stoktId: String(twiceOnFirst.id),
            reason: `face ${first.id}: hold ${twiceOnFirst.id} is served twice in this face's setup; the first one is kept`,
          },
          {
            entity: 'hold',
            stoktId: String(onBoth.id),
            reason: `face ${second.id}: hold ${onBoth.id} is served in the setup of face ${first.id} too; the first one is kept`,
          },
          {
            entity: 'climb',
            stoktId: usesRefused.id,
            reason: `holdsList: hold ${onBoth.id} was rejected (face ${second.id}: hold ${onBoth.id} is served in the setup of face ${first.id} too; the first one is kept)`,
          },
        ])
        const holds = await database
          .knex()('holds')
          .join('faces', 'faces.id', 'holds.face_id')
          .whereIn('holds.stokt_id', [onBoth.id as number, twiceOnFirst.id as number])
          .orderBy('holds.stokt_id')
          .select('faces.stokt_id as face', 'holds.polygon_str as polygon', 'holds.area as area')
        expect(holds).toEqual(
          [onBoth, twiceOnFirst]
            .sort((a, b) => (a.id as number) - (b.id as number))
            .map((hold) => ({face: storedUuid(database.knex(), first.id as string), polygon: hold.polygonStr, area: Number(hold.area)})),
        )
        data.push(await readGymData(database.knex()))

        const stamps = await writeCounts(database.knex())
        const again = await importGym('all', twice, database.url, {gym: twoFaces.gymId, ...flags})
        expect(again.summary.holds).toEqual({created: 0, updated: 0, unchanged: holdRecords - 2, errors: 2, total: holdRecords})
        expect(await writeCounts(database.knex())).toEqual(stamps)
      }
      expect(data[1]).toEqual(data[0])
    },
  )

  it.skipIf(skip)(
    'meets a setter another writer made after the import began, in a first import, batch and row-by-row alike',
    async ({withStoktServer}) => {
      // A first import writes its batches without lookups (the tables were empty when it began): the
      // batch meets the setter already written, is refused, and is redone record by record, looked up.
      const firstSetter = gym.climbs.map((climb) => climb.climbSetters as {id: string} | null).find((setter) => setter)!
      let database = await databases.fresh()
      const meanwhile = await withStoktServer({
        gym,
        pageSize: 25,
        intercept: async (req) => {
          if (!isClimbsPage(req, gym, 1)) return false
          await insertStoktUser(database.knex(), firstSetter.id, 'Made meanwhile')
          return false
        },
      })
      const data = []
      for (const flags of [{batch: true, 'batch-size': 10}, {batch: false}]) {
        if (data.length > 0) database = await databases.fresh()
        const result = await importGym('all', meanwhile, database.url, {gym: gym.gymId, ...flags})
        const users = expectedGymData(gym).users.length
        expect(result.exitCode).toBe(0)
        expect(result.summary.users).toEqual({created: users - 1, updated: 1, unchanged: 0, errors: 0, total: users})
        expect(result.summary.climbs).toMatchObject({created: gym.climbs.length, errors: 0})
        data.push(await readGymData(database.knex()))
      }
      expect(data[0]).toEqual(expectedGymData(gym))
      expect(data[1]).toEqual(data[0])
    },
  )

  it.skipIf(skip)('refuses a gym summary Stokt serves for another gym, writing nothing', async ({withStoktServer}) => {
    const database = await databases.fresh()
    expect((await importLive('all', database.url)).exitCode).toBe(0)
    const before = await readGymData(database.knex())
    const otherGymId = '0f0f0f0f-aaaa-4bbb-8ccc-dddddddddddd'
    const wrongGym = await withStoktServer({
      gym,
      intercept: (req, res) => {
        if (req.path !== `/api/gyms/${gym.gymId}/summary`) return false
        sendJson(res, 200, {...gym.summary, id: otherGymId, displayName: 'Another gym'})
        return true
      },
    })
    await expect(importGym('all', wrongGym, database.url, {gym: gym.gymId})).rejects.toThrow(
      `Stokt's summary of gym ${gym.gymId} is of gym ${otherGymId}: nothing written`,
    )
    expect(await readGymData(database.knex())).toEqual(before)
  })

  it.skipIf(skip)(
    'stores a setter\'s empty avatar ("") as no avatar, as a null one, batch and row-by-row alike; a re-run writes nothing',
    async ({withStoktServer}) => {
      const setterId = (gym.climbs.find((climb) => (climb.climbSetters as {avatar: unknown} | null)?.avatar)!.climbSetters as {id: string})
        .id
      const emptyAvatar: GeneratedGym = {
        ...gym,
        climbs: gym.climbs.map((climb) => {
          const setter = climb.climbSetters as {id: string} | null
          return setter?.id === setterId ? {...climb, climbSetters: {...setter, avatar: ''}} : climb
        }),
      }
      const served = await withStoktServer({gym: emptyAvatar, pageSize: 25})
      for (const strategy of STRATEGIES) {
        const database = await databases.fresh()
        expect((await importGym('all', served, database.url, {gym: gym.gymId, ...strategy.flags})).exitCode).toBe(0)
        const users = await database.knex()('users').select('stokt_id', 'avatar_path')
        expect(users.find((user) => user.stokt_id === storedUuid(database.knex(), setterId))).toEqual({
          stokt_id: storedUuid(database.knex(), setterId),
          avatar_path: null,
        })
        expect(users.filter((user) => user.avatar_path === '')).toEqual([])
        const again = await importGym('all', served, database.url, {gym: gym.gymId, ...strategy.flags})
        expect(again.summary.users).toMatchObject({created: 0, updated: 0})
      }
    },
  )

  it.skipIf(skip)('counts a climb without an id once, however many times Stokt serves it', async ({withStoktServer}) => {
    const database = await databases.fresh()
    const idless = {...gym.climbs[3], id: undefined}
    const twice = await withStoktServer({
      gym,
      pageSize: 25,
      // The same record on pages 1 and 2, as a list that moved while it was read serves it.
      intercept: (req, res) => {
        const page = [1, 2].find((number) => isClimbsPage(req, gym, number))
        if (page === undefined) return false
        const results = gym.climbs.slice((page - 1) * 25, page * 25).map((climb, index) => (index === 3 ? idless : climb))
        const next = new URL(`/api/gyms/${gym.gymId}/climbs?max_age=9999&page=${page + 1}`, twice.url).href
        sendJson(res, 200, {count: gym.climbs.length, next, previous: null, results})
        return true
      },
    })
    const result = await importGym('all', twice, database.url, {gym: gym.gymId, 'max-errors': 1})
    expect(result.exitCode).toBe(3)
    expect(result.summary.rejected).toEqual([{entity: 'climb', stoktId: null, reason: 'id: missing'}])
  })

  it.skipIf(skip)(
    'warns when Stokt serves fewer climbs than it announced, and leaves the --incremental cursor where it was',
    async ({withStoktServer}) => {
      const database = await databases.fresh()
      const shortPage = await withStoktServer({
        gym,
        pageSize: 25,
        intercept: (req, res) => {
          if (!isClimbsPage(req, gym, 2)) return false
          const next = new URL(`/api/gyms/${gym.gymId}/climbs?max_age=9999&page=3`, shortPage.url).href
          sendJson(res, 200, {count: gym.climbs.length, next, previous: null, results: []})
          return true
        },
      })
      const warnings: string[] = []
      const reporter = {phase() {}, progress() {}, warn: (message: string) => warnings.push(message), notice() {}}
      const result = await importGym('all', shortPage, database.url, {gym: gym.gymId}, reporter)
      expect(result.exitCode).toBe(0)
      expect(result.summary.climbs).toMatchObject({created: gym.climbs.length - 25, errors: 0})
      expect(warnings).toEqual([
        `Stokt announced ${gym.climbs.length} climbs but served ${gym.climbs.length - 25}: the others were not read, and the --incremental cursor stays where it was`,
      ])
      expect(await database.knex()('import_cursors').select('gym_stokt_id')).toEqual([])

      // Served whole, the cursor is written.
      expect((await importLive('all', database.url)).exitCode).toBe(0)
      expect(await database.knex()('import_cursors').select('gym_stokt_id')).toEqual([{gym_stokt_id: gym.gymId}])
    },
  )

  it.skipIf(skip)(
    "stops before its next batch when it loses the gym's lock, keeping whole batches (exit 1)",
    async ({withStoktServer}) => {
      const database = await databases.fresh()
      const interfering = await withStoktServer({
        gym,
        pageSize: 25,
        intercept: async (req) => {
          if (isClimbsPage(req, gym, 2)) {
            if (kind === 'postgres') {
              // An admin (or a failover) ends the session holding the advisory lock.
              await database
                .knex()
                .raw(
                  `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'mastoc import lock' and datname = current_database()`,
                )
            } else {
              // Another run takes the lock over, as it would from a run whose heartbeat had gone stale.
              await database.knex()('import_locks').where('gym_stokt_id', gym.gymId).update({run_id: crypto.randomUUID()})
            }
          }
          // Time for the run to notice (SQLite: at its next heartbeat, here every 50 ms).
          if (isClimbsPage(req, gym, 3)) await new Promise((resolve) => setTimeout(resolve, 500))
          return false
        },
      })
      const heartbeat = {lockHeartbeatMs: 50}
      await expect(
        importGym('all', interfering, database.url, {gym: gym.gymId, 'batch-size': 25, concurrency: 1}, undefined, heartbeat),
      ).rejects.toThrow(
        new RegExp(
          `^lost the lock on gym ${gym.gymId} \\((its PostgreSQL session ended|another run took it over, .*)\\); stopped, keeping the whole batches already written$`,
        ),
      )
      const climbs = (await readGymData(database.knex())).climbs.length
      expect(climbs % 25).toBe(0)
      expect(climbs).toBeLessThan(gym.climbs.length)
      expect(await database.knex()('import_runs').select('status')).toEqual([{status: 'failed'}])
    },
    20_000,
  )

  it.skipIf(skip)('marks abandoned the runs of the gym that died, not one still waiting for the lock within its --wait-lock', async () => {
    const database = await databases.fresh()
    await importLive('holds', database.url)
    const knex = database.knex()
    const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString().replace('Z', '000Z')
    const run = (id: string, status: string, startedSecondsAgo: number, options: Record<string, unknown>) => ({
      id,
      command: 'import all',
      strategy: 'batch',
      gym_stokt_id: gym.gymId,
      dry_run: false,
      options: JSON.stringify(options),
      started_at: ago(startedSecondsAgo),
      status,
    })
    await knex('import_runs').insert([
      // Waiting for up to 10 minutes, since 20 s: alive as far as anyone can tell.
      run('00000000-0000-4000-8000-000000000001', 'waiting', 20, {waitLock: 600}),
      // Its 60 s of waiting ended an hour ago and it never said how: its process died.
      run('00000000-0000-4000-8000-000000000002', 'waiting', 3600, {waitLock: 60}),
      // Running, while the next run holds the lock: its process died.
      run('00000000-0000-4000-8000-000000000003', 'running', 30, {}),
    ])

    expect((await importLive('all', database.url)).exitCode).toBe(0)

    const statuses = Object.fromEntries((await knex('import_runs').select('id', 'status')).map((row) => [row.id, row.status]))
    expect(statuses['00000000-0000-4000-8000-000000000001']).toBe('waiting')
    expect(statuses['00000000-0000-4000-8000-000000000002']).toBe('abandoned')
    expect(statuses['00000000-0000-4000-8000-000000000003']).toBe('abandoned')
    expect(Object.values(statuses).filter((status) => status === 'succeeded')).toHaveLength(2)
  })

  it.skipIf(skip || kind !== 'sqlite')(
    'fails (exit 1) when its SQLite file is deleted during the run, rather than report a success nobody can see',
    async ({withStoktServer}) => {
      const database = await databases.fresh()
      const deleting = await withStoktServer({
        gym,
        pageSize: 25,
        intercept: (req) => {
          if (isClimbsPage(req, gym, 2)) for (const suffix of ['', '-wal', '-shm']) rmSync(`${database.url}${suffix}`, {force: true})
          return false
        },
      })
      await expect(importGym('all', deleting, database.url, {gym: gym.gymId})).rejects.toThrow(
        `the database file sqlite:${database.url} was removed or replaced during the run: what it wrote is not in it; run the import again`,
      )
    },
  )

  it.skipIf(skip)('re-imports a snapshot saved during a live run, offline, to identical data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mastoc-snapshot-'))
    try {
      const live = await databases.fresh()
      const offline = await databases.fresh()
      await importLive('all', live.url, {'save-snapshot': dir})
      const requestsBefore = server.requests.length
      const result = await importGym('all', undefined, offline.url, {'from-snapshot': dir, token: undefined})
      expect(server.requests.length).toBe(requestsBefore)
      expect(result.exitCode).toBe(0)
      expect(result.summary.gym).toBe(gym.gymId)
      expect(await readGymData(offline.knex())).toEqual(await readGymData(live.knex()))
      expect(await readGymData(offline.knex())).toEqual(expectedGymData(gym))
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it.skipIf(skip)(
    'imported from a snapshot 10 days old, moves the --incremental cursor to when the snapshot read the climbs: the next incremental run asks Stokt for the days since',
    async ({withStoktServer}) => {
      const now = new Date()
      const dated = generateGym({seed: 23, faces: 1, holdsPerFace: 20, climbs: 20, setters: 3, now})
      const stokt = await withStoktServer({gym: dated, pageSize: 10, now})
      const dir = mkdtempSync(join(tmpdir(), 'mastoc-snapshot-'))
      try {
        const scratch = await databases.fresh()
        const database = await databases.fresh()
        await importGym('all', stokt, scratch.url, {gym: dated.gymId, 'save-snapshot': dir})
        // The same snapshot, as if saved 10 days ago.
        const tenDaysAgo = new Date(now.getTime() - 10 * 86_400_000).toISOString()
        const manifestFile = join(dir, 'manifest.json')
        const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Record<string, unknown>
        writeFileSync(
          manifestFile,
          JSON.stringify({...manifest, savedAt: tenDaysAgo, ...('climbsReadAt' in manifest ? {climbsReadAt: tenDaysAgo} : {})}),
        )
        expect((await importGym('all', undefined, database.url, {'from-snapshot': dir, token: undefined})).exitCode).toBe(0)

        // Created on Stokt 9 days ago, after the snapshot: the next incremental run must bring it.
        const laterId = crypto.randomUUID()
        const later: Record<string, unknown> = {
          ...(dated.climbs[0] as Record<string, unknown>),
          id: laterId,
          dateCreated: new Date(now.getTime() - 9 * 86_400_000).toISOString(),
        }
        dated.climbs.unshift(later)
        const requestsBefore = stokt.requests.length
        const result = await importGym('all', stokt, database.url, {gym: dated.gymId, incremental: true})
        expect(result.summary.climbs).toMatchObject({created: 1, errors: 0})
        expect(
          stokt.requests
            .slice(requestsBefore)
            .filter((request) => request.path.endsWith('/climbs'))
            .map((request) => request.query.get('max_age')),
        ).toContain('11')
        expect(await database.knex()('climbs').where('stokt_id', storedUuid(database.knex(), laterId)).select('name')).toEqual([
          {name: later.name},
        ])
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    },
  )

  it.skipIf(skip)(
    're-imports a snapshot whose live run saw climbs twice (the list moved while paged) as complete: no warning, cursor written, missing reported',
    async ({withStoktServer}) => {
      const moving = generateGym({seed: 22, faces: 2, holdsPerFace: 30, climbs: 60, setters: 8})
      const newClimbs = moving.climbs.slice(0, 3).map((climb) => ({...(climb as object), id: crypto.randomUUID()}))
      // Climbs created once page 1 is served: the pages after it repeat climbs, and the client,
      // having fetched ahead, reads the whole list once more. The snapshot keeps every record served.
      let drifted = false
      const drifting = await withStoktServer({
        gym: moving,
        pageSize: 10,
        intercept: (req) => {
          if (!drifted && req.path.endsWith('/climbs') && !isClimbsPage(req, moving, 1)) {
            drifted = true
            moving.climbs.unshift(...newClimbs)
          }
          return false
        },
      })
      const dir = mkdtempSync(join(tmpdir(), 'mastoc-snapshot-'))
      try {
        const live = await databases.fresh()
        const offline = await databases.fresh()
        const saved = await importGym('all', drifting, live.url, {gym: moving.gymId, 'save-snapshot': dir})
        expect(drifted).toBe(true)
        expect(saved.summary.missing).toEqual({count: 0, ids: []})

        const warnings: string[] = []
        const reporter = {phase() {}, progress() {}, warn: (message: string) => warnings.push(message), notice() {}}
        const result = await importGym('all', undefined, offline.url, {'from-snapshot': dir, token: undefined}, reporter)
        expect(warnings).toEqual([])
        expect(result.exitCode).toBe(0)
        expect(result.summary.climbs).toMatchObject({created: moving.climbs.length, errors: 0, total: moving.climbs.length})
        expect(result.summary.missing).toEqual({count: 0, ids: []})
        expect(await offline.knex()('import_cursors').select('gym_stokt_id')).toEqual([{gym_stokt_id: moving.gymId}])
        expect(await readGymData(offline.knex())).toEqual(await readGymData(live.knex()))
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    },
  )
})
