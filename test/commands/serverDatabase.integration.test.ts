import {afterAll, beforeAll, describe, expect} from 'vitest'

import {canonicalFromStored} from '../../src/lib/db/encodings.js'
import {expectJsonError, importArgs} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {DATABASE_KINDS, testDatabases, unavailable, type TestDatabase} from '../support/databases.js'
import {expectedGymData, readGymData, writeCounts} from '../support/gymData.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {makeServerTables, storedInstant, storedUuid, type ServerTablesOptions} from '../support/serverTables.js'
import {DEFAULT_TOKEN, startStoktServer, type StoktServer} from '../support/stoktServer.js'
import {it} from '../support/withStoktServer.js'

/**
 * Importing into the database the mastoc server made for itself (its own DDL, as it emits it), and
 * reading what was imported the way the server reads it: its encodings, its lookups.
 */
const STRATEGIES = [
  ['batch', []],
  ['row by row', ['--no-batch']],
] as const

describe.each(DATABASE_KINDS)("into the mastoc server's own tables, on %s", (kind) => {
  const skip = unavailable(kind)
  let gym: GeneratedGym
  let server: StoktServer
  const databases = testDatabases(kind)
  const importAll = (database: TestDatabase, flags: readonly string[] = []) =>
    runCommand([...importArgs(server, gym, database, ['--json', ...flags])], {STOKT_TOKEN: DEFAULT_TOKEN})
  const serverDatabase = async (options: ServerTablesOptions = {}) => {
    const database = await databases.fresh()
    await makeServerTables(database.knex(), options)
    return database
  }

  beforeAll(async () => {
    if (skip) return
    gym = generateGym({seed: 31, faces: 2, holdsPerFace: 30, climbs: 50, setters: 7})
    server = await startStoktServer({gym})
  })
  afterAll(async () => {
    await server?.close()
    await databases.dropAll()
  })

  describe.each(STRATEGIES)('%s', (_name, strategy) => {
    it.each([
      ['as the server makes them', {}],
      ['as a production server has them after its migrate_user_auth.py', {production: true}],
    ])('imports the gym into the tables %s, and a re-run writes no row', async (_variant, options) => {
      if (skip) return
      const database = await serverDatabase(options)
      const first = await importAll(database, strategy)
      expect(first.stderr).toBe('')
      expect(first.code).toBe(0)
      expect(await readGymData(database.knex())).toEqual(expectedGymData(gym))

      const before = await writeCounts(database.knex())
      const again = await importAll(database, strategy)
      expect(again.code).toBe(0)
      expect(JSON.parse(again.stdout).climbs).toMatchObject({created: 0, updated: 0, unchanged: gym.climbs.length})
      expect(await writeCounts(database.knex())).toEqual(before)
    })

    it.skipIf(skip)("writes the server's create-only values, and never its own columns or rows", async () => {
      const database = await serverDatabase()
      const knex = database.knex()
      expect((await importAll(database, strategy)).code).toBe(0)

      const users = await knex('users').select('is_active', 'role', 'source', 'updated_at', 'email')
      expect(new Set(users.map((user) => JSON.stringify({...user, is_active: Boolean(user.is_active)})))).toEqual(
        new Set([JSON.stringify({is_active: true, role: 'user', source: 'stokt', updated_at: null, email: null})]),
      )
      const climbs = await knex('climbs').select('is_project', 'description', 'updated_at', 'personal_notes')
      expect(
        climbs.every(
          (climb) => !climb.is_project && climb.description === null && climb.updated_at === null && climb.personal_notes === null,
        ),
      ).toBe(true)

      // A mastoc user's edits, and a climb and an avatar of the server's own.
      const edited = gym.climbs[3] as {id: string; totalLikes: number; climbSetters: {id: string}}
      const editedAt = storedInstant(knex, '2026-11-20T08:30:00.000000Z')
      await knex('climbs')
        .where('stokt_id', storedUuid(knex, edited.id))
        .update({personal_notes: 'crimpy', is_project: true, updated_at: editedAt})
      const serverAvatar = '/api/users/7/avatar.jpg'
      await knex('users').where('stokt_id', storedUuid(knex, edited.climbSetters.id)).update({avatar_path: serverAvatar})
      const [face] = await knex('faces').select('id')
      const ownClimb = {
        id: storedUuid(knex, '0190a5e2-0000-7000-8000-00000000c1b0'),
        face_id: face.id,
        name: 'Made in mastoc',
        holds_list: 'S1 T2',
        is_private: false,
        is_benchmark: false,
      }
      await knex('climbs').insert({
        ...ownClimb,
        climbed_by: 0,
        total_likes: 0,
        total_comments: 0,
        source: 'mastoc',
        created_at: editedAt,
        is_project: false,
      })
      const ownBefore = await knex('climbs').where('id', ownClimb.id).first()

      const changed = structuredClone(gym)
      const changedClimb = changed.climbs[3] as {totalLikes: number; climbSetters: {avatar: string; fullName: string}}
      changedClimb.totalLikes = edited.totalLikes + 5
      changedClimb.climbSetters.avatar = 'CACHE/images/users/avatars/new.jpg'
      for (const climb of changed.climbs as {climbSetters?: {id: string; fullName: string} | null}[]) {
        if (climb.climbSetters?.id === edited.climbSetters.id) climb.climbSetters.fullName = 'Renamed on Stokt'
      }
      server.setGym(changed)
      try {
        const result = await importAll(database, strategy)
        expect(result.code).toBe(0)
        expect(JSON.parse(result.stdout).climbs).toMatchObject({updated: 1})
      } finally {
        server.setGym(gym)
      }
      const row = await knex('climbs').where('stokt_id', storedUuid(knex, edited.id)).first()
      expect(row).toMatchObject({total_likes: edited.totalLikes + 5, personal_notes: 'crimpy'})
      expect(Boolean(row.is_project)).toBe(true)
      expect(canonicalFromStored(String(row.updated_at))).toBe('2026-11-20T08:30:00.000000Z')
      expect(await knex('climbs').where('id', ownClimb.id).first()).toEqual(ownBefore)
      const setter = await knex('users').where('stokt_id', storedUuid(knex, edited.climbSetters.id)).first()
      expect(setter).toMatchObject({avatar_path: serverAvatar, full_name: 'Renamed on Stokt'})
      // The server's "last updated", stamped when the importer changed a Stokt column: on that setter only.
      expect(Date.parse(canonicalFromStored(String(setter.updated_at)))).toBeGreaterThan(Date.now() - 60_000)
      expect(await knex('users').whereNotNull('updated_at').pluck('full_name')).toEqual(['Renamed on Stokt'])
    })
  })

  it.skipIf(skip).for(STRATEGIES)(
    "rejects, %s, a value longer than the server's column holds, naming the field and the width, and imports the rest",
    async ([_name, strategy], {withStoktServer}) => {
      const spoiled = structuredClone(gym)
      const [longGrade, longName] = [spoiled.climbs[2], spoiled.climbs[4]] as {id: string; name: string; crowdGrade: {font: string}}[]
      longGrade.crowdGrade.font = '7A+ (soft?)' + '!'
      longName.name = 'n'.repeat(299) + '🧗'
      const spoiledServer = await withStoktServer({gym: spoiled})
      const database = await serverDatabase()
      const result = await runCommand([...importArgs(spoiledServer, gym, database, ['--json', ...strategy])], {
        STOKT_TOKEN: DEFAULT_TOKEN,
      })
      expect(result.code).toBe(3)
      expect(JSON.parse(result.stdout).rejected).toEqual([
        {
          entity: 'climb',
          stoktId: longGrade.id,
          reason: "crowdGrade.font: is 12 characters, more than the 10 of the server's climbs.grade_font",
        },
        {entity: 'climb', stoktId: longName.id, reason: "name: is 300 characters, more than the 255 of the server's climbs.name"},
      ])
      const expected = expectedGymData(gym)
      const data = await readGymData(database.knex())
      expect(data.climbs).toEqual(expected.climbs.filter((climb) => climb.stokt_id !== longGrade.id && climb.stokt_id !== longName.id))
      expect(data.holds).toEqual(expected.holds)
    },
  )

  it.skipIf(skip)(
    'keeps a climb whose id is all decimal digits where the database can: PostgreSQL; SQLite rejects it, saying why',
    async ({withStoktServer}) => {
      const numeric = structuredClone(gym)
      const climb = numeric.climbs[6] as {id: string}
      climb.id = '12345678-9012-4345-8789-012345678901'
      const numericServer = await withStoktServer({gym: numeric})
      const database = await serverDatabase()
      const run = () => runCommand([...importArgs(numericServer, numeric, database, ['--json'])], {STOKT_TOKEN: DEFAULT_TOKEN})
      const first = await run()
      const expected = expectedGymData(numeric)
      if (kind === 'sqlite') {
        expect(first.code).toBe(3)
        expect(JSON.parse(first.stdout).rejected).toEqual([
          {
            entity: 'climb',
            stoktId: climb.id,
            reason: `id: ${climb.id} cannot be kept in SQLite as the mastoc server stores UUIDs (its 32 hex digits read as a number, which SQLite stores rounded); PostgreSQL keeps it`,
          },
        ])
        expected.climbs = expected.climbs.filter((row) => row.stokt_id !== climb.id)
      } else {
        expect(first.code).toBe(0)
      }
      expect(await readGymData(database.knex())).toEqual(expected)
      const before = await writeCounts(database.knex())
      expect((await run()).code).toBe(first.code)
      expect(await writeCounts(database.knex())).toEqual(before)
    },
  )

  describe('a server schema that has moved on', () => {
    it.skipIf(skip).each([
      [
        'a NOT NULL column without a default',
        (ddl: string) => ddl.replace('personal_notes TEXT,', 'personal_notes TEXT, difficulty VARCHAR(10) NOT NULL,'),
        'climbs.difficulty is NOT NULL without a default',
      ],
      [
        'a column the importer writes removed',
        (ddl: string) => ddl.replace('grade_font VARCHAR(10),', ''),
        'climbs.grade_font is missing, and the importer writes it',
      ],
      [
        'a column of a type the importer cannot write',
        (ddl: string) => ddl.replace('total_likes INTEGER NOT NULL', 'total_likes VARCHAR(20) NOT NULL'),
        'climbs.total_likes is of type varchar, where the importer writes an integer',
      ],
    ])(
      'with %s: ends the run (exit 1) before writing anything, naming the table and column; db migrate does not call it ready',
      async (_case, edit, problem) => {
        const database = await serverDatabase({edit})
        const result = await importAll(database)
        expect(result.code).toBe(1)
        expectJsonError(result)
        expect(result.stderr.replace(/\s*›\s*/g, ' ')).toContain(problem)
        expect(Number((await database.knex()('gyms').count({n: '*'}))[0].n)).toBe(0)
        expect(Number((await database.knex()('import_runs').count({n: '*'}))[0].n)).toBe(0)

        // Prepared ahead of time, the same database is not called ready.
        const migrated = await runCommand(['db', 'migrate', '--database', database.url])
        expect(migrated.code).toBe(1)
        expect(migrated.stderr.replace(/\s*›\s*/g, ' ')).toMatch(
          new RegExp(`; but an import cannot write into it: .*${problem.replace(/[.*()]/g, '\\$&')}`),
        )
      },
    )

    it.skipIf(skip)('with extra columns that are nullable or have a default: imports, and leaves them alone', async () => {
      const database = await serverDatabase({
        edit: (ddl) =>
          ddl.replace('personal_notes TEXT,', 'personal_notes TEXT, difficulty VARCHAR(10), favourites INTEGER DEFAULT 0 NOT NULL,'),
      })
      const result = await importAll(database)
      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(await readGymData(database.knex())).toEqual(expectedGymData(gym))
      const extras = await database.knex()('climbs').distinct('difficulty', 'favourites')
      expect(extras).toEqual([{difficulty: null, favourites: 0}])
    })
  })

  it.skipIf(skip)('leaves every row where the lookups the server makes find it', async () => {
    const database = await serverDatabase()
    const knex = database.knex()
    expect((await importAll(database)).code).toBe(0)
    const climbs = gym.climbs as {id: string; faceId: string; climbSetters?: {id: string} | null; dateCreated: string}[]
    const [firstFace] = gym.setups.keys()

    const face = await knex('faces').where('stokt_id', storedUuid(knex, firstFace)).first('id')
    const faceClimbs = await knex('climbs').where('face_id', face.id).pluck('stokt_id')
    expect(faceClimbs.map(String).sort()).toEqual(
      climbs
        .filter((climb) => climb.faceId === firstFace)
        .map((climb) => storedUuid(knex, climb.id))
        .sort(),
    )

    const target = climbs[7]
    const byStoktId = await knex('climbs').where('stokt_id', storedUuid(knex, target.id)).first('id', 'name')
    expect(await knex('climbs').where('id', byStoktId.id).first('name')).toEqual({name: byStoktId.name})

    const setterId = climbs.find((climb) => climb.climbSetters)!.climbSetters!.id
    const setter = await knex('users').where('stokt_id', storedUuid(knex, setterId)).first('id')
    const setterClimbs = await knex('climbs').where('setter_id', setter.id).pluck('stokt_id')
    expect(setterClimbs.map(String).sort()).toEqual(
      climbs
        .filter((climb) => climb.climbSetters?.id === setterId)
        .map((climb) => storedUuid(knex, climb.id))
        .sort(),
    )

    // The server filters dates by comparing its own encoding: the same rows on both databases.
    const since = '2026-06-01T00:00:00.000000Z'
    const recent = await knex('climbs').where('created_at', '>=', storedInstant(knex, since)).pluck('stokt_id')
    const expected = climbs.filter((climb) => Date.parse(climb.dateCreated) >= Date.parse(since)).map((climb) => storedUuid(knex, climb.id))
    expect(expected.length).toBeGreaterThan(0)
    expect(recent.map(String).sort()).toEqual(expected.sort())
  })
})
