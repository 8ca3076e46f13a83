import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, describe, expect, it} from 'vitest'

import {importArgs, type CliResult} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {DATABASE_KINDS, testDatabases, unavailable, type TestDatabase} from '../support/databases.js'
import {readGymData} from '../support/gymData.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {DEFAULT_TOKEN, startStoktServer, type StoktServer} from '../support/stoktServer.js'

/**
 * A climb nested thousands of levels deep (10 KB of `[`), which JSON.parse reads but JSON.stringify
 * cannot write: it is a rejected record naming the field, with or without --save-snapshot and
 * --rejects, and every other record is imported.
 */

const GYM_SPEC = {seed: 61, faces: 2, holdsPerFace: 30, climbs: 60, setters: 8}
const PAGE_SIZE = 10
const DEPTH = 5000
/** The climbs spoiled, and the field each holds the deep arrays in. */
const DEEP = [
  {index: 3, field: 'extra'},
  {index: 7, field: 'name'},
]

describe.each(DATABASE_KINDS)('a climb nested 5,000 levels deep, on %s', (kind) => {
  const skip = unavailable(kind)
  const cleanups: (() => Promise<void> | void)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  /** Stokt serving the gym, its climbs pages written by hand: the test server's JSON.stringify would overflow too. */
  const serve = async (gym: GeneratedGym): Promise<StoktServer> => {
    const deepText = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`
    const server = await startStoktServer({
      gym,
      pageSize: PAGE_SIZE,
      intercept: (req, res) => {
        if (req.path !== `/api/gyms/${gym.gymId}/climbs`) return false
        const page = Number(req.query.get('page') ?? '1')
        const records = gym.climbs.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE).map((climb) => {
          const deep = DEEP.find((spoiled) => gym.climbs[spoiled.index] === climb)
          return deep ? JSON.stringify({...climb, [deep.field]: 'DEEP'}).replace('"DEEP"', deepText) : JSON.stringify(climb)
        })
        const next =
          page * PAGE_SIZE < gym.climbs.length ? JSON.stringify(`${server.url}${req.path}?max_age=9999&page=${page + 1}`) : 'null'
        res.writeHead(200, {'content-type': 'application/json'})
        res.end(`{"count": ${gym.climbs.length}, "next": ${next}, "previous": null, "results": [${records.join(',')}]}`)
        return true
      },
    })
    cleanups.push(() => server.close())
    return server
  }

  const databases = testDatabases(kind)
  afterAll(() => databases.dropAll())
  const freshDatabase = () => databases.fresh()

  const scratchDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'mastoc-deep-'))
    cleanups.push(() => rmSync(dir, {recursive: true, force: true}))
    return dir
  }

  const expectDeepClimbsRejected = async (result: CliResult, gym: GeneratedGym, database: TestDatabase) => {
    expect(result.stderr).not.toContain('Maximum call stack')
    expect(result.code).toBe(3)
    const summary = JSON.parse(result.stdout)
    expect(summary.rejected).toEqual(
      DEEP.map(({index, field}) => ({entity: 'climb', stoktId: gym.climbs[index].id, reason: `${field}: nested more than 32 levels deep`})),
    )
    expect(summary.climbs).toEqual({created: 58, updated: 0, unchanged: 0, errors: 2, total: 60})
    const stored = (await readGymData(database.knex())).climbs.map((climb) => climb.stokt_id)
    expect(stored).toHaveLength(58)
    for (const {index} of DEEP) expect(stored).not.toContain(gym.climbs[index].id)
  }

  it.skipIf(skip)('without --save-snapshot and --rejects: rejected, naming the field (exit 3), the others imported', async () => {
    const gym = generateGym(GYM_SPEC)
    const server = await serve(gym)
    const database = await freshDatabase()

    const result = await runCommand(
      ['import', 'all', '--json', '--database', database.url, '--gym', gym.gymId, '--stokt-url', server.url],
      {
        STOKT_TOKEN: DEFAULT_TOKEN,
      },
    )

    await expectDeepClimbsRejected(result, gym, database)
  })

  it.skipIf(skip)(
    'with --save-snapshot and --rejects: both written, the records as received; the snapshot imports the same way',
    async () => {
      const gym = generateGym(GYM_SPEC)
      const server = await serve(gym)
      const database = await freshDatabase()
      const dir = scratchDir()
      const rejectsPath = join(dir, 'rejects.jsonl')
      const snapshot = join(dir, 'snapshot')

      const live = await runCommand(importArgs(server, gym, database, ['--json', '--save-snapshot', snapshot, '--rejects', rejectsPath]), {
        STOKT_TOKEN: DEFAULT_TOKEN,
      })

      await expectDeepClimbsRejected(live, gym, database)
      const rejects = readFileSync(rejectsPath, 'utf8').trim().split('\n')
      expect(rejects).toHaveLength(2)
      for (const [position, {index, field}] of DEEP.entries()) {
        expect(rejects[position]).toContain(`"${field}":${'['.repeat(DEPTH)}]`)
        expect(
          rejects[position].startsWith(
            `{"entity":"climb","stoktId":"${gym.climbs[index].id}","reason":"${field}: nested more than 32 levels deep"`,
          ),
        ).toBe(true)
      }

      const offline = await freshDatabase()
      const replayed = await runCommand(['import', 'all', '--json', '--database', offline.url, '--from-snapshot', snapshot])
      await expectDeepClimbsRejected(replayed, gym, offline)
    },
  )
})
