import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Knex} from 'knex'
import {afterAll, afterEach, describe, expect, it} from 'vitest'

import {type CliResult, expectJsonError} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {DATABASE_KINDS, testDatabases, unavailable, type DatabaseKind, type TestDatabase} from '../support/databases.js'
import {expectedGymData, expectedUserRow, expectedWithFirstClimbs, readGymData, type GymData, type Row} from '../support/gymData.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {storedUuid} from '../support/serverTables.js'
import {DEFAULT_TOKEN, startStoktServer, type StoktServer} from '../support/stoktServer.js'

/**
 * Malformed records from Stokt, through the real CLI: each is rejected alone (entity, Stokt id as
 * received, a reason naming the field), the good records around it are imported, and the run
 * exits 3; `--rejects` keeps them as received; `--max-errors` stops a run that rejects too much;
 * a record the database itself refuses costs only that record.
 */

const GYM_SPEC = {seed: 31, faces: 2, holdsPerFace: 30, climbs: 60, setters: 8}

const STRATEGIES = [
  {strategy: 'batch', flags: ['--batch-size', '25']},
  {strategy: 'row-by-row', flags: ['--no-batch']},
]

type Climb = Record<string, any>

interface ExpectedRejection {
  entity: 'face' | 'hold' | 'user' | 'climb'
  stoktId: string
  reason: string
}

const UNKNOWN_FACE_ID = '0f0f0f0f-1111-4222-8333-444444444444'
const MALFORMED_HOLD_ID = 899999
const SQL_NAME = "'); DROP TABLE climbs; --"
const SQL_FEET_RULE = `Robert'); DROP TABLE users; -- "q" \\ backslash`
/** 255 characters (code points: the climber is one character, two UTF-16 units), accents included. */
const NAME_255 = ((head: string) => head + 'ô'.repeat(255 - [...head].length))('Très long bloc 🧗 à 5€ ')
const NAME_256 = `${NAME_255}!`

/** One malformed climb: where it is in the list, how it is spoiled, what the run must say about it. */
interface BadClimb {
  what: string
  index: number
  spoil(climb: Climb, gym: BadGymContext): void
  rejected(climb: Climb, gym: BadGymContext): ExpectedRejection[]
}

interface BadGymContext {
  gymId: string
  /** A hold id of the other face than the climb's. */
  holdOffFace(faceId: string): number
  /** The face whose setup serves the malformed hold MALFORMED_HOLD_ID, and a good hold of it. */
  malformedHoldFace: string
  goodHoldOfMalformedHoldFace: number
  /** The setter of a climb served after the first one, well-formed there. */
  setterOfLaterClimb: Record<string, unknown>
}

const climbRejected = (reason: string) => (climb: Climb) => [{entity: 'climb' as const, stoktId: String(climb.id), reason}]

const BAD_CLIMBS: BadClimb[] = [
  {what: 'a missing field', index: 2, spoil: (climb) => delete climb.name, rejected: climbRejected('name: missing')},
  {
    what: 'a wrong-typed field',
    index: 5,
    spoil: (climb) => (climb.isPrivate = 'yes'),
    rejected: climbRejected('isPrivate: expected true or false'),
  },
  {what: 'an id that is not a UUID', index: 9, spoil: (climb) => (climb.id = 'climb-0009'), rejected: climbRejected('id: not a UUID')},
  {
    what: 'a garbage hold token',
    index: 13,
    spoil: (climb) => (climb.holdsList = `${climb.holdsList} Q8291`),
    rejected: climbRejected("holdsList: token 'Q8291' is not S/O/F/T + hold id"),
  },
  {
    what: "a hold not on the climb's face",
    index: 17,
    spoil: (climb, gym) => (climb.holdsList = `${climb.holdsList} O${gym.holdOffFace(climb.faceId)}`),
    rejected: (climb, gym) => climbRejected(`holdsList: hold ${gym.holdOffFace(climb.faceId)} is not on face ${climb.faceId}`)(climb),
  },
  {
    // Stokt serves the hold, on that face: the reason must not send a person looking for it in vain.
    what: 'a hold of its face that was itself rejected',
    index: 11,
    spoil: (climb, gym) => {
      climb.faceId = gym.malformedHoldFace
      climb.holdsList = `S${gym.goodHoldOfMalformedHoldFace} O${MALFORMED_HOLD_ID}`
      climb.mirrorHoldsList = ''
    },
    rejected: (climb, gym) =>
      climbRejected(
        `holdsList: hold ${MALFORMED_HOLD_ID} was rejected (face ${gym.malformedHoldFace}: area: expected a decimal such as "2226.00")`,
      )(climb),
  },
  {
    what: 'an unknown face',
    index: 21,
    spoil: (climb) => (climb.faceId = UNKNOWN_FACE_ID),
    rejected: (climb, gym) => climbRejected(`faceId: ${UNKNOWN_FACE_ID} is not a face of gym ${gym.gymId} that was imported`)(climb),
  },
  {
    what: 'a negative count',
    index: 25,
    spoil: (climb) => (climb.totalLikes = -3),
    rejected: climbRejected('totalLikes: must not be negative'),
  },
  {
    what: 'a non-numeric count',
    index: 29,
    spoil: (climb) => (climb.climbedBy = 'twelve'),
    rejected: climbRejected('climbedBy: expected a number'),
  },
  {
    what: 'an unparsable date',
    index: 33,
    spoil: (climb) => (climb.dateCreated = '17/12/2025 10:56'),
    rejected: climbRejected("dateCreated: '17/12/2025 10:56' is not a date-time with an offset"),
  },
  {
    what: 'a date in year 0 once in UTC (PostgreSQL has no year 0; SQLite stored garbage)',
    index: 3,
    spoil: (climb) => (climb.dateCreated = '0001-01-01T00:30:00.000000+01:00'),
    rejected: climbRejected("dateCreated: '0001-01-01T00:30:00.000000+01:00' is outside the years 1 to 9999 (in UTC)"),
  },
  {
    what: "a count past PostgreSQL's integer (SQLite would keep it)",
    index: 7,
    spoil: (climb) => (climb.climbedBy = 3_000_000_000),
    rejected: climbRejected('climbedBy: is more than 2147483647, the most the database keeps'),
  },
  {
    what: 'a 256-character name',
    index: 37,
    spoil: (climb) => (climb.name = NAME_256),
    rejected: climbRejected("name: is 256 characters, more than the 255 of the server's climbs.name"),
  },
  {
    what: 'a setter with a non-UUID id',
    index: 45,
    spoil: (climb) => (climb.climbSetters = {id: 'setter-0045', fullName: 'Mystère S.', avatar: null}),
    // The setter is a record of its own, and the climb that carries it is malformed with it.
    rejected: (climb) => [
      {entity: 'user', stoktId: 'setter-0045', reason: `climbSetters of climb ${climb.id}: id: not a UUID`},
      {entity: 'climb', stoktId: String(climb.id), reason: 'climbSetters.id: not a UUID'},
    ],
  },
  {
    // The first copy of the setter the walk meets: its other climbs carry it well-formed, and keep it.
    what: "a malformed copy of a setter, the first served, which the setter's other climbs carry well-formed",
    index: 0,
    spoil: (climb, gym) => (climb.climbSetters = {...gym.setterOfLaterClimb, fullName: 42}),
    rejected: climbRejected('climbSetters.fullName: expected a string'),
  },
  {
    what: 'a NUL character (PostgreSQL cannot store it)',
    index: 53,
    spoil: (climb) => (climb.feetRule = 'crimp\u0000then jump'),
    rejected: climbRejected('feetRule: contains a NUL character, which cannot be stored'),
  },
  {
    what: 'a lone surrogate (served as "\\ud83e", half an emoji)',
    index: 57,
    spoil: (climb) => (climb.name = 'Bloc \ud83e'),
    rejected: climbRejected('name: contains a lone surrogate (not valid Unicode), which cannot be stored'),
  },
]

/** Good records that look dangerous: imported whole and verbatim. */
const NAME_255_INDEX = 41
const SQL_INDEX = 49

interface BadGym {
  gym: GeneratedGym
  rejected: ExpectedRejection[]
  /** What the database must hold afterwards. */
  expected: GymData
  /** `${entity}:${stoktId}` → the rejected record as Stokt served it. */
  served: Map<string, unknown>
}

/** The generated gym with every malformed record of BAD_CLIMBS, a malformed hold, and the dangerous good ones. */
function badGym(): BadGym {
  const gym = generateGym(GYM_SPEC)
  const setups = [...gym.setups.values()] as Array<{id: string; holds: Array<Record<string, unknown>>}>
  const context: BadGymContext = {
    gymId: gym.gymId,
    holdOffFace: (faceId) => setups.find((setup) => setup.id !== faceId)!.holds[0].id as number,
    malformedHoldFace: setups[0].id,
    goodHoldOfMalformedHoldFace: setups[0].holds[0].id as number,
    setterOfLaterClimb: (gym.climbs as Climb[]).find((climb, index) => index > 0 && climb.climbSetters)!.climbSetters,
  }
  const climbs = gym.climbs as Climb[]
  const rejected: ExpectedRejection[] = []
  const served = new Map<string, unknown>()

  const malformedHold = {...setups[0].holds[0], id: MALFORMED_HOLD_ID, area: 'lots'}
  setups[0].holds.push(malformedHold)
  rejected.push({
    entity: 'hold',
    stoktId: String(MALFORMED_HOLD_ID),
    reason: `face ${setups[0].id}: area: expected a decimal such as "2226.00"`,
  })
  served.set(`hold:${MALFORMED_HOLD_ID}`, malformedHold)

  for (const bad of BAD_CLIMBS) {
    const climb = climbs[bad.index]
    bad.spoil(climb, context)
    for (const rejection of bad.rejected(climb, context)) {
      rejected.push(rejection)
      served.set(`${rejection.entity}:${rejection.stoktId}`, rejection.entity === 'user' ? climb.climbSetters : climb)
    }
  }
  climbs[NAME_255_INDEX].name = NAME_255
  climbs[SQL_INDEX].name = SQL_NAME
  climbs[SQL_INDEX].feetRule = SQL_FEET_RULE

  const badIndexes = new Set(BAD_CLIMBS.map((bad) => bad.index))
  const full = expectedGymData({...gym, climbs: climbs.filter((_, index) => !badIndexes.has(index))})
  return {
    gym,
    rejected,
    served,
    expected: {...full, holds: full.holds.filter((hold) => hold.stokt_id !== MALFORMED_HOLD_ID), users: expectedSetters(climbs)},
  }
}

/** Every setter of the climbs as served, from its first well-formed copy, whether its climb was imported or not. */
function expectedSetters(climbs: Climb[]): Row[] {
  const users = new Map<string, Row>()
  for (const {climbSetters: setter} of climbs) {
    if (setter && /^[0-9a-f-]{36}$/.test(setter.id) && typeof setter.fullName === 'string' && !users.has(setter.id)) {
      users.set(setter.id, expectedUserRow(setter))
    }
  }
  return [...users.values()].sort((a, b) => (String(a.stokt_id) < String(b.stokt_id) ? -1 : 1))
}

const byEntityAndId = (a: {entity: string; stoktId: string | null}, b: {entity: string; stoktId: string | null}) =>
  `${a.entity}:${a.stoktId}` < `${b.entity}:${b.stoktId}` ? -1 : 1

describe.each(DATABASE_KINDS)('bad records from Stokt, through the CLI, on %s', (kind) => {
  const skip = unavailable(kind)
  const cleanups: (() => Promise<void> | void)[] = []

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  const databases = testDatabases(kind)
  afterAll(() => databases.dropAll())
  const freshDatabase = () => databases.fresh()

  const serve = async (gym: GeneratedGym, pageSize: number) => {
    const server = await startStoktServer({gym, pageSize})
    cleanups.push(() => server.close())
    return server
  }

  const tempFile = (name: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'mastoc-rejects-'))
    cleanups.push(() => rmSync(dir, {recursive: true, force: true}))
    return join(dir, name)
  }

  const importAll = (server: StoktServer, gym: GeneratedGym, database: TestDatabase, flags: string[]): Promise<CliResult> =>
    runCommand(['import', 'all', '--json', '--database', database.url, '--gym', gym.gymId, '--stokt-url', server.url, ...flags], {
      STOKT_TOKEN: DEFAULT_TOKEN,
    })

  describe.each(STRATEGIES)('$strategy', ({flags}) => {
    it.skipIf(skip)('rejects each malformed record alone, naming the field, imports the good ones and exits 3', async () => {
      const {gym, rejected, expected} = badGym()
      const server = await serve(gym, 20)
      const database = await freshDatabase()

      const result = await importAll(server, gym, database, flags)

      expect(result.code).toBe(3)
      expect(result.stderr).toBe('')
      const summary = JSON.parse(result.stdout)
      // Exactly one entry per malformed record, with its Stokt id as received.
      expect([...summary.rejected].sort(byEntityAndId)).toEqual([...rejected].sort(byEntityAndId))
      const badClimbs = rejected.filter((rejection) => rejection.entity === 'climb').length
      expect(badClimbs).toBe(BAD_CLIMBS.length)
      expect(summary.faces).toEqual({created: 2, updated: 0, unchanged: 0, errors: 0, total: 2})
      expect(summary.holds).toEqual({created: expected.holds.length, updated: 0, unchanged: 0, errors: 1, total: expected.holds.length + 1})
      expect(summary.users).toEqual({created: expected.users.length, updated: 0, unchanged: 0, errors: 1, total: expected.users.length + 1})
      expect(summary.climbs).toEqual({created: 60 - badClimbs, updated: 0, unchanged: 0, errors: badClimbs, total: 60})

      // Every good record, field for field: the 255-character name whole, the SQL-shaped text verbatim.
      expect(await readGymData(database.knex())).toEqual(expected)
      const climbs = gym.climbs as Climb[]
      const long = await database.knex()('climbs').where('stokt_id', storedUuid(database.knex(), climbs[NAME_255_INDEX].id)).first('name')
      expect(long.name).toBe(NAME_255)
      const sql = await database
        .knex()('climbs')
        .where('stokt_id', storedUuid(database.knex(), climbs[SQL_INDEX].id))
        .first('name', 'feet_rule')
      expect(sql).toEqual({name: SQL_NAME, feet_rule: SQL_FEET_RULE})
      expect(await tableNames(database.knex(), kind)).toEqual(
        expect.arrayContaining(['gyms', 'faces', 'holds', 'users', 'climbs', 'import_runs']),
      )
      expect(await database.knex()('import_runs').first('status')).toEqual({status: 'partial'})
    })

    it.skipIf(skip)(
      '--rejects FILE: a run that fails before rejecting anything leaves the file as it was; one that completes rejecting nothing empties it',
      async () => {
        const gym = generateGym(GYM_SPEC)
        const database = await freshDatabase()
        const file = tempFile('rejects.jsonl')
        const earlier = `${JSON.stringify({entity: 'climb', stoktId: 'x', reason: 'name: missing', record: {}})}\n`
        writeFileSync(file, earlier)

        const unreachable = await runCommand(
          [
            'import',
            'all',
            '--json',
            '--database',
            database.url,
            '--gym',
            gym.gymId,
            '--stokt-url',
            'http://127.0.0.1:9',
            '--retries',
            '0',
            '--rejects',
            file,
            ...flags,
          ],
          {STOKT_TOKEN: DEFAULT_TOKEN},
        )
        expect(unreachable.code).toBe(1)
        expect(readFileSync(file, 'utf8')).toBe(earlier)

        const server = await serve(gym, 20)
        const clean = await importAll(server, gym, database, [...flags, '--rejects', file])
        expect(clean.code).toBe(0)
        expect(readFileSync(file, 'utf8')).toBe('')
      },
    )

    it.skipIf(skip)('--rejects FILE: writes one JSON line per rejected record, the record as received', async () => {
      const {gym, rejected, served} = badGym()
      const server = await serve(gym, 20)
      const database = await freshDatabase()
      const file = tempFile('rejects.jsonl')

      const result = await importAll(server, gym, database, [...flags, '--rejects', file])

      expect(result.code).toBe(3)
      const summary = JSON.parse(result.stdout)
      const lines = readFileSync(file, 'utf8').split('\n')
      expect(lines.pop()).toBe('') // every line ends with a newline
      const entries = lines.map((line) => JSON.parse(line) as {entity: string; stoktId: string; reason: string; record: unknown})
      expect(entries).toHaveLength(rejected.length)
      expect(entries.map(({record: _record, ...rejection}) => rejection)).toEqual(summary.rejected)
      for (const entry of entries) {
        expect(Object.keys(entry)).toEqual(['entity', 'stoktId', 'reason', 'record'])
        expect(entry.record).toEqual(JSON.parse(JSON.stringify(served.get(`${entry.entity}:${entry.stoktId}`))))
      }
    })

    it.skipIf(skip)('--max-errors N: past N rejected records stops (exit 1), keeping the batches committed before', async () => {
      // Pages and batches of 10; climbs 41, 43 and 45 are malformed. Batches 1–4 (climbs 0–39) are
      // committed; the third rejection comes while batch 5 is being filled.
      const gym = generateGym(GYM_SPEC)
      const climbs = gym.climbs as Climb[]
      for (const index of [41, 43, 45]) climbs[index].totalLikes = -1
      const server = await serve(gym, 10)
      const database = await freshDatabase()
      const file = tempFile('rejects.jsonl')
      const batchFlags = flags.includes('--no-batch') ? ['--no-batch', '--batch-size', '10'] : ['--batch-size', '10']

      const result = await importAll(server, gym, database, [...batchFlags, '--max-errors', '2', '--rejects', file])

      expect(result.code).toBe(1)
      expectJsonError(result)
      // The records rejected before the stop are listed, as a completed run lists them.
      const warning =
        /^\S+Z warning: --no-batch writes one record per transaction: --batch-size only sets how many records are read before they are written\n/
      if (flags.includes('--no-batch')) expect(result.stderr).toMatch(warning)
      expect(result.stderr.replace(warning, '')).toBe(
        [
          '3 records were rejected:',
          ...[41, 43, 45].map((index) => `  climb ${climbs[index].id}: totalLikes: must not be negative`),
          'Error: stopped after 3 rejected records (--max-errors 2); whole batches already written are kept',
          '',
        ].join('\n'),
      )
      const data = await readGymData(database.knex())
      expect(data).toEqual(expectedWithFirstClimbs(gym, 40))
      // What was rejected before the stop is kept for repair.
      const kept = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).stoktId)
      expect(kept).toEqual([41, 43, 45].map((index) => climbs[index].id))
      expect(await database.knex()('import_runs').first('status', 'error')).toEqual({
        status: 'failed',
        error: 'stopped after 3 rejected records (--max-errors 2); whole batches already written are kept',
      })
    })
  })

  it.skipIf(skip)(
    '--max-errors N: the stopped run lists its rejected records, as a completed run does, with and without --quiet',
    async () => {
      const gym = generateGym(GYM_SPEC)
      const climbs = gym.climbs as Climb[]
      for (const index of [41, 43, 45]) climbs[index].totalLikes = -1
      const server = await serve(gym, 10)
      const listed = [41, 43, 45].map((index) => `  climb ${climbs[index].id}: totalLikes: must not be negative`)
      const stopped = 'Error: stopped after 3 rejected records (--max-errors 2); whole batches already written are kept'

      for (const output of [[], ['--quiet']]) {
        const database = await freshDatabase()
        const result = await runCommand(
          [
            'import',
            'all',
            ...output,
            '--database',
            database.url,
            '--gym',
            gym.gymId,
            '--stokt-url',
            server.url,
            '--batch-size',
            '10',
            '--max-errors',
            '2',
          ],
          {STOKT_TOKEN: DEFAULT_TOKEN},
        )
        expect(result.code).toBe(1)
        expect(result.stdout).toBe('')
        const stderr = result.stderr.split('\n').filter((line) => !/^\d{4}-\d\d-\d\dT\S+ /.test(line)) // the progress lines aside
        expect(stderr, result.stderr).toEqual(['3 records were rejected:', ...listed, stopped, ''])
      }
    },
  )

  it.skipIf(skip)('--max-errors N: exactly N rejected records still completes (exit 3)', async () => {
    const gym = generateGym(GYM_SPEC)
    const climbs = gym.climbs as Climb[]
    for (const index of [41, 43, 45]) climbs[index].totalLikes = -1
    const server = await serve(gym, 10)
    const database = await freshDatabase()

    const result = await importAll(server, gym, database, ['--batch-size', '10', '--max-errors', '3'])

    expect(result.code).toBe(3)
    expect(JSON.parse(result.stdout).climbs).toEqual({created: 57, updated: 0, unchanged: 0, errors: 3, total: 60})
    expect((await readGymData(database.knex())).climbs).toHaveLength(57)
  })

  describe.each(STRATEGIES)('a record the database refuses although it is valid ($strategy)', ({flags}) => {
    it.skipIf(skip)("rejects only that record, with the database's reason; the rest of its batch is imported (exit 3)", async () => {
      const gym = generateGym(GYM_SPEC)
      const climbs = gym.climbs as Climb[]
      const poison = climbs[15] // in the second batch of 10, amid good climbs
      poison.name = 'Poison'
      const server = await serve(gym, 20)
      const database = await freshDatabase()
      const migrate = await runCommand(['db', 'migrate', '--database', database.url])
      expect(migrate.code).toBe(0)
      await refusePoison(database.knex(), kind)
      const file = tempFile('rejects.jsonl')
      const batchFlags = flags.includes('--no-batch') ? flags : ['--batch-size', '10']

      const result = await importAll(server, gym, database, [...batchFlags, '--rejects', file])

      expect(result.stderr).toBe('')
      expect(result.code).toBe(3)
      const summary = JSON.parse(result.stdout)
      expect(summary.rejected).toEqual([
        {entity: 'climb', stoktId: poison.id, reason: expect.stringMatching(/^the database refused it: .*poisoned record/)},
      ])
      expect(summary.climbs).toEqual({created: 59, updated: 0, unchanged: 0, errors: 1, total: 60})
      expect(summary.users.errors).toBe(0)
      const expected = expectedGymData(gym)
      expect(await readGymData(database.knex())).toEqual({
        ...expected,
        climbs: expected.climbs.filter((climb) => climb.stokt_id !== poison.id),
      })
      const [line] = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((text) => JSON.parse(text))
      expect(line).toEqual({...summary.rejected[0], record: JSON.parse(JSON.stringify(poison))})
    })

    it.skipIf(skip)(
      'a face it refuses: that face, its holds and its climbs are rejected, the other face is imported whole (exit 3)',
      async () => {
        const gym = generateGym(GYM_SPEC)
        const [keptFace, refusedFace] = [...gym.setups.keys()]
        const server = await serve(gym, 20)
        const database = await freshDatabase()
        expect((await runCommand(['db', 'migrate', '--database', database.url])).code).toBe(0)
        await refuseFace(database.knex(), kind, refusedFace)
        const batchFlags = flags.includes('--no-batch') ? flags : ['--batch-size', '10']

        const result = await importAll(server, gym, database, batchFlags)

        expect(result.stderr).toBe('')
        expect(result.code).toBe(3)
        const summary = JSON.parse(result.stdout)
        const refusedHolds = (gym.setups.get(refusedFace) as {holds: {id: number}[]}).holds
        const refusedClimbs = (gym.climbs as Climb[]).filter((climb) => climb.faceId === refusedFace)
        const notImported = `faceId: face ${refusedFace} was not imported`
        expect(refusedClimbs.length).toBeGreaterThan(0)
        expect(sortedRejections(summary.rejected)).toEqual(
          sortedRejections([
            {entity: 'face', stoktId: refusedFace, reason: expect.stringMatching(/^the database refused it: .*refused face/)},
            ...refusedHolds.map((hold) => ({entity: 'hold' as const, stoktId: String(hold.id), reason: notImported})),
            ...refusedClimbs.map((climb) => ({entity: 'climb' as const, stoktId: String(climb.id), reason: notImported})),
          ]),
        )
        expect(summary.faces).toEqual({created: 1, updated: 0, unchanged: 0, errors: 1, total: 2})
        const expected = expectedGymData(gym)
        expect(await readGymData(database.knex())).toEqual({
          ...expected,
          faces: expected.faces.filter((face) => face.stokt_id === keptFace),
          holds: expected.holds.filter((hold) => hold.face === keptFace),
          climbs: expected.climbs.filter((climb) => climb.face === keptFace),
        })
      },
    )
  })
})

function sortedRejections(rejections: ExpectedRejection[]): ExpectedRejection[] {
  return [...rejections].sort((a, b) => `${a.entity}:${a.stoktId}`.localeCompare(`${b.entity}:${b.stoktId}`))
}

/** The database refuses one face, whatever the importer checked. */
function refuseFace(db: Knex, kind: DatabaseKind, faceStoktId: string): Promise<void> {
  return refuseInserts(db, kind, {
    trigger: 'refuse_face',
    table: 'faces',
    column: 'stokt_id',
    value: storedUuid(db, faceStoktId),
    message: 'refused face',
  })
}

/** The trigger of the issue: the database refuses the climb named 'Poison', whatever the importer checked. */
function refusePoison(db: Knex, kind: DatabaseKind): Promise<void> {
  return refuseInserts(db, kind, {trigger: 'refuse_poison', table: 'climbs', column: 'name', value: 'Poison', message: 'poisoned record'})
}

/** A trigger that makes the database refuse, with `message`, any row inserted into `table` whose `column` is `value`. */
async function refuseInserts(
  db: Knex,
  kind: DatabaseKind,
  {trigger, table, column, value, message}: {trigger: string; table: string; column: string; value: string; message: string},
): Promise<void> {
  if (kind === 'sqlite') {
    await db.raw(
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON ${table} WHEN NEW.${column} = '${value}' BEGIN SELECT RAISE(ABORT, '${message}'); END;`,
    )
    return
  }
  await db.raw(`CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.${column} = '${value}' THEN
        RAISE EXCEPTION '${message}' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END
  $$`)
  await db.raw(`CREATE TRIGGER ${trigger} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${trigger}()`)
}

async function tableNames(db: Knex, kind: DatabaseKind): Promise<string[]> {
  if (kind === 'sqlite') {
    const rows: {name: string}[] = await db.raw("select name from sqlite_master where type = 'table'")
    return rows.map((row) => row.name)
  }
  const result = await db.raw("select table_name as name from information_schema.tables where table_schema = 'public'")
  return (result.rows as {name: string}[]).map((row) => row.name)
}
