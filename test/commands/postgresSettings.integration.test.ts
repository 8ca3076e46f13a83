import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {toCanonicalInstant} from '../../src/lib/common/instant.js'
import {runCommand} from '../support/runCommand.js'
import {testDatabases, unavailable, type TestDatabase} from '../support/databases.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {startStoktServer, DEFAULT_TOKEN, type StoktServer} from '../support/stoktServer.js'

const GYM_SPEC = {seed: 31, faces: 2, holdsPerFace: 30, climbs: 40, setters: 5}
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/

/** Names as a person may write them: quotes and backslashes, alone, doubled and together. */
const QUOTE_AND_BACKSLASH = " '\\"
const QUOTED_NAMES = ["L'arête d'O'Neil", `C:\\Stokt\\n'\\'' "ok"`, "''", '\\']

/**
 * A PostgreSQL database, or the role the importer logs in as, with settings of its own that change
 * how the server reads string constants and writes values out as text, and the isolation of its
 * transactions: the importer writes and reads back the same values whatever they are.
 */
describe.skipIf(unavailable('postgres'))(
  'on postgres, a database whose DateStyle, TimeZone, extra_float_digits, standard_conforming_strings and isolation are not the defaults',
  () => {
    let gym: GeneratedGym
    let server: StoktServer
    const databases = testDatabases('postgres')
    const mastoc = (database: TestDatabase, args: string[]) =>
      runCommand(args, {DATABASE_URL: database.url, MASTOC_GYM: gym.gymId, STOKT_URL: server.url, STOKT_TOKEN: DEFAULT_TOKEN})
    const climbRequests = () => server.requests.filter((request) => request.path.endsWith('/climbs'))

    async function unusualDatabase(): Promise<TestDatabase> {
      const database = await databases.fresh()
      const name = new URL(database.url).pathname.slice(1)
      const db = database.knex()
      // Each applies to the sessions that start after it: every session of the CLI.
      await db.raw(`alter database ${name} set datestyle = 'SQL, DMY'`)
      await db.raw(`alter database ${name} set timezone = 'America/New_York'`)
      await db.raw(`alter database ${name} set extra_float_digits = -10`)
      await db.raw(`alter database ${name} set standard_conforming_strings = off`)
      await db.raw(`alter database ${name} set default_transaction_isolation = 'serializable'`)
      return database
    }

    beforeAll(async () => {
      gym = generateGym(GYM_SPEC)
      server = await startStoktServer({gym, pageSize: 15})
    })
    afterAll(async () => {
      await server?.close()
      await databases.dropAll()
    })

    it.each([
      ['batch', []],
      ['row-by-row', ['--no-batch']],
    ])('stores UTC instants and writes nothing on a re-run (%s)', async (_, strategy) => {
      const database = await unusualDatabase()
      const first = await mastoc(database, ['import', 'all', '--json', ...strategy])
      expect(first.code).toBe(0)

      const rerun = await mastoc(database, ['import', 'all', '--json', ...strategy])
      expect(rerun.stderr).toBe('')
      expect(rerun.code).toBe(0)
      const summary = JSON.parse(rerun.stdout)
      for (const entity of ['faces', 'holds', 'users', 'climbs']) {
        expect({entity, ...summary[entity]}).toMatchObject({entity, created: 0, updated: 0, errors: 0})
      }

      const stored: {stokt_id: string; created: string}[] = await database
        .knex()
        .raw(`select stokt_id, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created from climbs`)
        .then((result: {rows: {stokt_id: string; created: string}[]}) => result.rows)
      const expected = new Map(gym.climbs.map((climb) => [climb.id as string, toCanonicalInstant(climb.dateCreated as string)]))
      expect(stored).toHaveLength(gym.climbs.length)
      for (const row of stored) expect(row.created).toBe(expected.get(row.stokt_id))
    })

    it.each([
      ['batch', []],
      ['row-by-row', ['--no-batch']],
    ])('keeps quotes and backslashes in names exactly, created and updated (%s)', async (_, strategy) => {
      const database = await unusualDatabase()
      const named = gym.climbs.slice(0, QUOTED_NAMES.length)
      const served = (suffix: string) => {
        const climbs = gym.climbs.map((climb) => ({...climb}))
        QUOTED_NAMES.forEach((name, index) => (climbs[index].name = `${name}${suffix}`))
        server.setGym({...gym, climbs})
      }
      const storedNames = async () => {
        const rows: {stokt_id: string; name: string}[] = await database
          .knex()('climbs')
          .whereIn(
            'stokt_id',
            named.map((climb) => climb.id as string),
          )
          .select('stokt_id', 'name')
        return new Map(rows.map((row) => [row.stokt_id, row.name]))
      }
      try {
        served('')
        expect((await mastoc(database, ['import', 'all', '--json', ...strategy])).code).toBe(0)
        expect(await storedNames()).toEqual(new Map(named.map((climb, index) => [climb.id, QUOTED_NAMES[index]])))

        served(QUOTE_AND_BACKSLASH)
        const changed = await mastoc(database, ['import', 'all', '--json', ...strategy])
        expect(changed.code).toBe(0)
        expect(JSON.parse(changed.stdout).climbs).toMatchObject({created: 0, updated: QUOTED_NAMES.length, errors: 0})
        expect(await storedNames()).toEqual(
          new Map(named.map((climb, index) => [climb.id, `${QUOTED_NAMES[index]}${QUOTE_AND_BACKSLASH}`])),
        )
      } finally {
        server.setGym(gym)
      }
    })

    it('runs --incremental from the last import (max_age=7) and shows ISO UTC times in mastoc status', async () => {
      const database = await unusualDatabase()
      expect((await mastoc(database, ['import', 'all', '--json'])).code).toBe(0)

      const before = climbRequests().length
      const incremental = await mastoc(database, ['import', 'all', '--incremental', '--json'])
      expect(incremental.stderr).toBe('')
      expect(incremental.code).toBe(0)
      expect(
        new Set(
          climbRequests()
            .slice(before)
            .map((request) => request.query.get('max_age')),
        ),
      ).toEqual(new Set(['7']))

      const status = await runCommand(['status', '--json'], {DATABASE_URL: database.url})
      expect(status.code).toBe(0)
      const {runs, lastCompleted} = JSON.parse(status.stdout)
      expect(runs).toHaveLength(2)
      for (const run of [...runs, ...lastCompleted]) {
        expect(run.startedAt).toMatch(CANONICAL)
        expect(run.finishedAt).toMatch(CANONICAL)
      }
      expect(runs[0].options).toMatchObject({incremental: true, maxAge: 7})
      // The run's own instant, in the person's time zone, whatever the database's DateStyle.
      const human = await runCommand(['status'], {DATABASE_URL: database.url, TZ: 'UTC'})
      expect(human.stdout).toContain(`  ${runs[0].startedAt.slice(0, 10)} ${runs[0].startedAt.slice(11, 19)} UTC  `)
    })
  },
)
