import {cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {DATABASE_KINDS, testDatabases, unavailable, type TestDatabase} from '../support/databases.js'
import {readGymData} from '../support/gymData.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {DEFAULT_TOKEN, startStoktServer, type StoktServer} from '../support/stoktServer.js'

/**
 * A snapshot is what Stokt served, kept as served: imported back (--from-snapshot) it gives the
 * rows and the rejections the run that saved it gave; it is finished only by a run that
 * succeeded; a problem with its files is named as the snapshot's.
 */

const GYM_SPEC = {seed: 71, faces: 3, holdsPerFace: 20, climbs: 45, setters: 5}
const SAMPLE = 'test/fixtures/sample-gym'

interface Summary {
  rejected: {entity: string; stoktId: string; reason: string}[]
  [entity: string]: unknown
}

/** Per entity, the counts of a --json summary; and the rejected records, without their reasons (worded by the source). */
function outcomes(result: CliResult): {counts: Record<string, unknown>; rejected: string[]} {
  const {rejected, ...rest} = JSON.parse(result.stdout) as Summary
  const counts = Object.fromEntries(['faces', 'holds', 'users', 'climbs'].map((entity) => [entity, rest[entity]]))
  return {counts, rejected: rejected.map((record) => `${record.entity} ${record.stoktId}`).sort()}
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = join(dir, name)
    return statSync(file).isDirectory() ? filesUnder(file) : [file]
  })
}

describe.each(DATABASE_KINDS)('a snapshot saved and imported back, on %s', (kind) => {
  const skip = unavailable(kind)
  const databases = testDatabases(kind)
  const servers: StoktServer[] = []
  let scratch: string

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'mastoc-snapshot-runs-'))
  })
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()))
    await databases.dropAll()
    rmSync(scratch, {recursive: true, force: true})
  })

  const serve = async (gym: GeneratedGym) => {
    const server = await startStoktServer({gym, pageSize: 10})
    servers.push(server)
    return server
  }
  const mastoc = (args: string[], database: TestDatabase, env: Record<string, string> = {}) =>
    runCommand([...args, '--json'], {DATABASE_URL: database.url, STOKT_TOKEN: DEFAULT_TOKEN, ...env})

  it.skipIf(skip)(
    'a face Stokt has no setup for: rejected by the run that saves and by the run that reads the snapshot, the same rows in both',
    async () => {
      const gym = generateGym(GYM_SPEC)
      const [goneFace] = gym.setups.keys()
      gym.setups.delete(goneFace) // listed by the walls, answered 404
      const server = await serve(gym)
      const dir = join(scratch, `no-setup-${kind}`)
      const live = await databases.fresh()
      const saved = await mastoc(['import', 'all', '--stokt-url', server.url, '--gym', gym.gymId, '--save-snapshot', dir], live)
      expect(saved.code).toBe(3)
      expect(outcomes(saved).rejected).toContain(`face ${goneFace}`)
      expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'))).toMatchObject({gymId: gym.gymId, climbs: gym.climbs.length})

      const fromSnapshot = await databases.fresh()
      const replayed = await mastoc(['import', 'all', '--from-snapshot', dir], fromSnapshot)
      expect(replayed.code).toBe(3)
      expect(outcomes(replayed)).toEqual(outcomes(saved))
      expect(JSON.parse(replayed.stdout).rejected).toContainEqual({
        entity: 'face',
        stoktId: goneFace,
        reason: expect.stringContaining(`has no setup for face ${goneFace}`),
      })
      expect(await readGymData(fromSnapshot.knex())).toEqual(await readGymData(live.knex()))
    },
  )

  it.skipIf(skip)('a run that fails leaves the snapshot folder as it was, even one that read all it asked for', async () => {
    const gym = generateGym(GYM_SPEC)
    const dir = join(scratch, `failed-${kind}`)
    const database = await databases.fresh()
    const good = await serve(gym)
    expect((await mastoc(['import', 'holds', '--stokt-url', good.url, '--gym', gym.gymId, '--save-snapshot', dir], database)).code).toBe(0)
    const manifest = readFileSync(join(dir, 'manifest.json'), 'utf8')

    // The same gym with a malformed hold on its last face: --max-errors 0 stops the run there.
    const spoiled = generateGym(GYM_SPEC)
    const setups = [...spoiled.setups.values()] as {holds: Record<string, unknown>[]}[]
    setups.at(-1)!.holds[0].area = 'lots'
    const bad = await serve(spoiled)
    const failed = await mastoc(
      ['import', 'holds', '--stokt-url', bad.url, '--gym', gym.gymId, '--save-snapshot', dir, '--max-errors', '0'],
      database,
    )
    expect(failed.code).toBe(1)
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).toBe(manifest)
    for (const [faceId, setup] of gym.setups) expect(JSON.parse(readFileSync(join(dir, `setup-${faceId}.json`), 'utf8'))).toEqual(setup)
  })

  it.skipIf(skip)(
    "keeps what Stokt served as served, whatever the database's password; refuses to save a Stokt token Stokt served",
    async () => {
      const gym = generateGym(GYM_SPEC)
      const server = await serve(gym)
      const dir = join(scratch, `as-served-${kind}`)
      const live = await databases.fresh()
      // A password short enough to be met in the data: every picture path ends in .jpg.
      const env = {PGPASSWORD: 'jpg'}
      const saved = await mastoc(['import', 'all', '--stokt-url', server.url, '--gym', gym.gymId, '--save-snapshot', dir], live, env)
      expect(saved.code).toBe(0)
      for (const [faceId, setup] of gym.setups) expect(JSON.parse(readFileSync(join(dir, `setup-${faceId}.json`), 'utf8'))).toEqual(setup)
      const fromSnapshot = await databases.fresh()
      expect((await mastoc(['import', 'all', '--from-snapshot', dir], fromSnapshot, env)).code).toBe(0)
      expect(await readGymData(fromSnapshot.knex())).toEqual(await readGymData(live.knex()))

      const echoing = generateGym(GYM_SPEC)
      echoing.climbs[7] = {...echoing.climbs[7], name: `${DEFAULT_TOKEN}`}
      const echoServer = await serve(echoing)
      const echoDir = join(scratch, `echo-${kind}`)
      const refused = await mastoc(
        ['import', 'all', '--stokt-url', echoServer.url, '--gym', echoing.gymId, '--save-snapshot', echoDir],
        await databases.fresh(),
      )
      expect(refused.code).toBe(1)
      expect(JSON.parse(refused.stdout).error.message).toBe(
        `cannot write the snapshot in ${echoDir}: what Stokt served holds the token or password given to this run, which a snapshot never keeps`,
      )
      for (const file of filesUnder(echoDir)) expect(readFileSync(file, 'utf8')).not.toContain(DEFAULT_TOKEN)
    },
  )
})

describe('snapshot files a person has been at', () => {
  let scratch: string
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'mastoc-snapshot-files-'))
  })
  afterAll(() => {
    rmSync(scratch, {recursive: true, force: true})
  })
  const copyOfSample = (name: string) => {
    const dir = join(scratch, name)
    cpSync(SAMPLE, dir, {recursive: true})
    return dir
  }
  const importSnapshot = (dir: string) =>
    runCommand(['import', 'all', '--json', '--from-snapshot', dir, '--database', join(scratch, `${dir.split('/').at(-1)}.db`)])

  it('reads files an editor saved with a byte order mark', async () => {
    const dir = copyOfSample('with-bom')
    for (const name of ['summary.json', 'walls.json', 'manifest.json', 'climbs.json']) {
      writeFileSync(join(dir, name), `\uFEFF${readFileSync(join(dir, name), 'utf8')}`)
    }
    // And climbs.json pretty-printed, which is read whole.
    const climbs = JSON.parse(readFileSync(join(SAMPLE, 'climbs.json'), 'utf8')) as unknown[]
    writeFileSync(join(dir, 'climbs.json'), `\uFEFF${JSON.stringify(climbs, null, 2)}`)
    const result = await importSnapshot(dir)
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).climbs).toMatchObject({created: climbs.length, errors: 0})
  })

  it('names a climbs.json it cannot read as the snapshot’s problem, not the database’s', async () => {
    const dir = copyOfSample('unreadable')
    rmSync(join(dir, 'climbs.json'))
    mkdirSync(join(dir, 'climbs.json'))
    const result = await importSnapshot(dir)
    expect(result.code).toBe(1)
    const {message} = (JSON.parse(result.stdout) as {error: {message: string}}).error
    expect(message).toMatch(new RegExp(`^cannot read ${join(dir, 'climbs.json')}: EISDIR`))
    expect(message).not.toContain('database')
  })
})
