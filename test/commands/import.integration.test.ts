import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect} from 'vitest'

import {runCommand} from '../support/runCommand.js'
import {DATABASE_KINDS, testDatabases, unavailable, type TestDatabase} from '../support/databases.js'
import {expectedGymData, readGymData} from '../support/gymData.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {DEFAULT_PASSWORD, DEFAULT_TOKEN, DEFAULT_USERNAME, startStoktServer, type StoktServer} from '../support/stoktServer.js'
import {it} from '../support/withStoktServer.js'

describe.each(DATABASE_KINDS)('mastoc import (the CLI) on %s', (kind) => {
  const skip = unavailable(kind)
  let gym: GeneratedGym
  let server: StoktServer
  const databases = testDatabases(kind)
  /** `import all --json` of the suite's gym, configured from the environment with a bare token. */
  const importWithToken = (database: TestDatabase, stoktServer: StoktServer) =>
    runCommand(['import', 'all', '--json'], {
      DATABASE_URL: database.url,
      MASTOC_GYM: gym.gymId,
      STOKT_URL: stoktServer.url,
      STOKT_TOKEN: DEFAULT_TOKEN,
    })

  beforeAll(async () => {
    if (skip) return
    gym = generateGym({seed: 11, faces: 2, holdsPerFace: 40, climbs: 60, setters: 8})
    server = await startStoktServer({gym, pageSize: 20})
  })
  afterAll(async () => {
    await server?.close()
    await databases.dropAll()
  })

  it.skipIf(skip)('imports with a username and password from the environment and prints the JSON summary', async () => {
    const database = await databases.fresh()
    const result = await runCommand(['import', 'all', '--json', '--batch-size', '25'], {
      DATABASE_URL: database.url,
      MASTOC_GYM: gym.gymId,
      STOKT_URL: server.url,
      STOKT_USERNAME: DEFAULT_USERNAME,
      STOKT_PASSWORD: DEFAULT_PASSWORD,
    })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    const summary = JSON.parse(result.stdout)
    expect(summary).toMatchObject({gym: gym.gymId, strategy: 'batch', batchSize: 25, dryRun: false, rejected: []})
    expect(summary.climbs).toEqual({created: 60, updated: 0, unchanged: 0, errors: 0, total: 60})
    expect(Object.keys(summary)).toEqual([
      'gym',
      'strategy',
      'batchSize',
      'dryRun',
      'durationMs',
      'faces',
      'holds',
      'users',
      'climbs',
      'rejected',
      'missing',
    ])
    expect(summary.missing).toEqual({count: 0, ids: []})
    expect(await readGymData(database.knex())).toEqual(expectedGymData(gym))
    expect(result.stdout + result.stderr).not.toContain(DEFAULT_PASSWORD)
  })

  it.skipIf(skip)('takes a --gym written in capitals as the same gym: one run history, one --incremental cursor', async () => {
    const database = await databases.fresh()
    const env = {DATABASE_URL: database.url, STOKT_URL: server.url, STOKT_TOKEN: DEFAULT_TOKEN}
    const first = await runCommand(['import', 'all', '--json', '--gym', ` ${gym.gymId.toUpperCase()}\n`], env)
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout).gym).toBe(gym.gymId)

    const next = await runCommand(['import', 'all', '--json', '--incremental'], {...env, MASTOC_GYM: gym.gymId})
    expect(next.code).toBe(0)
    // The cursor the capitalised run left: only the last 7 days are asked for, not everything.
    expect(
      server.requests
        .filter((request) => request.path.endsWith('/climbs'))
        .at(-1)
        ?.query.get('max_age'),
    ).toBe('7')
    const runs = await database.knex()('import_runs').select('gym_stokt_id')
    expect(runs.map((run) => run.gym_stokt_id)).toEqual([gym.gymId, gym.gymId])
  })

  it.skipIf(skip)(
    'imports a snapshot whose manifest names the gym in capitals (saved with --gym in capitals) as that same gym',
    async () => {
      const database = await databases.fresh()
      const dir = mkdtempSync(join(tmpdir(), 'mastoc-gym-case-'))
      try {
        const env = {DATABASE_URL: database.url, STOKT_URL: server.url, STOKT_TOKEN: DEFAULT_TOKEN, MASTOC_GYM: gym.gymId}
        expect((await runCommand(['import', 'users', '--save-snapshot', dir], env)).code).toBe(0)
        // As a build that kept --gym as it was written saved it: `import users` asks for no summary, the manifest names the gym.
        const manifestPath = join(dir, 'manifest.json')
        const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {gymId: string}
        expect(existsSync(join(dir, 'summary.json'))).toBe(false)
        writeFileSync(manifestPath, JSON.stringify({...manifest, gymId: gym.gymId.toUpperCase()}))

        const result = await runCommand(['import', 'users', '--json', '--from-snapshot', dir, '--gym', gym.gymId.toUpperCase()], {
          DATABASE_URL: database.url,
        })

        expect(result.stderr).toBe('')
        expect(result.code).toBe(0)
        expect(JSON.parse(result.stdout)).toMatchObject({gym: gym.gymId, users: {unchanged: 8, errors: 0}})

        // Without --gym or MASTOC_GYM: the snapshot's gym, lower-cased as --gym is (one run history).
        const bare = await runCommand(['import', 'users', '--json', '--from-snapshot', dir], {DATABASE_URL: database.url})
        expect(bare.stderr).toBe('')
        expect(bare.code).toBe(0)
        expect(JSON.parse(bare.stdout)).toMatchObject({gym: gym.gymId, users: {unchanged: 8, errors: 0}})
        const runs = await database.knex()('import_runs').orderBy('started_at').select('gym_stokt_id')
        expect(runs.map((run) => run.gym_stokt_id)).toEqual([gym.gymId, gym.gymId, gym.gymId])
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    },
  )

  it.skipIf(skip)('prints a human summary and plain progress lines when not on a terminal', async () => {
    const database = await databases.fresh()
    const result = await runCommand(
      ['import', 'climbs', '--no-batch', '--database', database.url, '--gym', gym.gymId, '--stokt-url', server.url],
      {
        STOKT_TOKEN: DEFAULT_TOKEN,
      },
    )
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/Imported gym .* \(row by row\)/)
    expect(result.stdout).toMatch(/^climbs\s+60\s+0\s+0\s+0\s+60$/m)
    expect(result.stdout).not.toMatch(/^holds/m)
    // cron gets timestamped lines, no progress-bar escape codes
    expect(result.stderr).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ Reading every climb/m)
    expect(result.stderr).not.toContain('\u001b[')
    expect(result.stdout + result.stderr).not.toContain(DEFAULT_TOKEN)
  })

  it.skipIf(skip)('names the database it wrote to in the summary, its password masked', async () => {
    const database = await databases.fresh()
    // PostgreSQL here trusts every local connection: the password is there to be masked.
    const url = kind === 'postgres' ? database.url.replace('postgres@', 'postgres:Sesame-4711@') : database.url
    const shown = kind === 'postgres' ? database.url.replace('postgres@', 'postgres:***@') : `sqlite:${database.url}`
    const args = ['import', 'all', '--database', url, '--gym', gym.gymId, '--stokt-url', server.url]
    const result = await runCommand(args, {STOKT_TOKEN: DEFAULT_TOKEN})
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout.split('\n')[0]).toMatch(
      new RegExp(`^Imported gym ${gym.gymId} into ${escapeRegExp(shown)} \\(batches of 1000\\) in [\\d.]+ s\\.$`),
    )
    const dry = await runCommand([...args, '--dry-run'], {STOKT_TOKEN: DEFAULT_TOKEN})
    expect(dry.stdout.split('\n')[0]).toMatch(
      new RegExp(`^Dry run of gym ${gym.gymId} against ${escapeRegExp(shown)} \\(batches of 1000\\) in [\\d.]+ s: nothing was written`),
    )
    expect(result.stdout + result.stderr + dry.stdout + dry.stderr).not.toContain('Sesame-4711')
  })

  it.skipIf(skip)('exits 3 and names each rejected record when some records are bad, importing the others', async ({withStoktServer}) => {
    const database = await databases.fresh()
    const badGym = generateGym({seed: 11, faces: 2, holdsPerFace: 40, climbs: 60, setters: 8})
    const bad = badGym.climbs[3] as Record<string, unknown>
    bad.holdsList = 'S1 Q8291'
    const negative = badGym.climbs[10] as Record<string, unknown>
    negative.totalLikes = -1
    const badServer = await withStoktServer({gym: badGym})
    const result = await importWithToken(database, badServer)
    expect(result.code).toBe(3)
    const summary = JSON.parse(result.stdout)
    expect(summary.climbs).toMatchObject({created: 58, errors: 2, total: 60})
    expect(summary.rejected).toEqual([
      {entity: 'climb', stoktId: bad.id, reason: "holdsList: token 'Q8291' is not S/O/F/T + hold id"},
      {entity: 'climb', stoktId: negative.id, reason: 'totalLikes: must not be negative'},
    ])
    const stored = await database.knex()('climbs').count({n: '*'})
    expect(Number(stored[0].n)).toBe(58)
  })

  it.skipIf(skip)('imports into a database whose tables the mastoc server created first', async () => {
    const database = await databases.fresh()
    // The server's own migrations made the tables: the importer has no history of them.
    expect((await runCommand(['db', 'migrate'], {DATABASE_URL: database.url})).code).toBe(0)
    for (const table of ['import_runs', 'import_locks', 'import_cursors', 'import_created_tables'])
      await database.knex().schema.dropTable(table)
    await database.knex()('knex_migrations').delete()
    const migrate = await runCommand(['db', 'migrate'], {DATABASE_URL: database.url})
    expect(migrate.stderr).toBe('')
    expect(migrate.code).toBe(0)
    const result = await importWithToken(database, server)
    expect(result.code).toBe(0)
    expect(await readGymData(database.knex())).toEqual(expectedGymData(gym))
  })

  it.skipIf(skip)('exits 1 with one line, and no password, when Stokt refuses the credentials', async () => {
    const database = await databases.fresh()
    const result = await runCommand(['import', 'all'], {
      DATABASE_URL: database.url,
      MASTOC_GYM: gym.gymId,
      STOKT_URL: server.url,
      STOKT_USERNAME: DEFAULT_USERNAME,
      STOKT_PASSWORD: 'wrong-secret-password',
    })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(`Stokt refused the credentials for ${DEFAULT_USERNAME}`)
    expect(result.stderr).not.toContain('wrong-secret-password')
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })
})

describe('mastoc (the CLI), whatever the database', () => {
  let scratch: string
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'mastoc-cli-'))
    writeFileSync(join(scratch, 'notes.txt'), 'not a snapshot\n')
  })
  afterAll(() => rmSync(scratch, {recursive: true, force: true}))

  it('exits 2 and says which credentials are missing', async () => {
    const result = await runCommand(['import', 'all', '--database', ':memory:'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--token (STOKT_TOKEN), or --username and --password')
    expect(result.stderr).not.toMatch(/\n\s+at /)
  })

  it('exits 2, before asking Stokt anything, when --save-snapshot names a file, or a folder under one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mastoc-cli-'))
    try {
      const file = join(dir, 'snapshot')
      writeFileSync(file, 'not a directory\n')
      const saveInto = (folder: string) =>
        runCommand([
          'import',
          'all',
          '--database',
          ':memory:',
          '--token',
          'unused',
          '--stokt-url',
          'http://127.0.0.1:9',
          '--save-snapshot',
          folder,
        ])
      const result = await saveInto(file)
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(`--save-snapshot: ${file} is a file, not a directory`)
      expect(readFileSync(file, 'utf8')).toBe('not a directory\n')

      const under = await saveInto(join(file, 'today'))
      expect(under.code).toBe(2)
      expect(under.stderr).toBe(
        `Error: --save-snapshot: ${join(file, 'today')} cannot be a folder: ENOTDIR: not a directory, stat '${join(file, 'today')}'\n`,
      )
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('exits 2, before asking anything, when --gym is not a Stokt gym id', async () => {
    const database = join(scratch, 'gym.db')
    const result = await runCommand([
      'import',
      'all',
      '--database',
      database,
      '--token',
      'unused',
      '--stokt-url',
      'http://127.0.0.1:9',
      '--gym',
      'montoboard',
    ])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain('--gym: expected a Stokt gym id (a UUID); got "montoboard"')
    expect(existsSync(database)).toBe(false)
  })

  it('exits 2 on a flag it does not know', async () => {
    const result = await runCommand(['import', 'all', '--batch-sise', '10'])
    expect(result.code).toBe(2)
  })

  it.each([
    ['a missing directory', () => join(scratch, 'no-such-snapshot'), 'No directory found at'],
    ['a plain file', () => join(scratch, 'notes.txt'), 'exists but is not a directory'],
  ])('exits 2, as for any flag given a wrong value, when --from-snapshot is %s', async (_, path, reason) => {
    const result = await runCommand(['import', 'all', '--database', join(scratch, 'mastoc.db'), '--from-snapshot', path()])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    // oclif's usage style, as for --batch-size x
    expect(result.stderr).toContain(' ›   Error: Parsing --from-snapshot')
    expect(result.stderr).toContain(reason)
    expect(result.stderr).toContain(path())
    expect(result.stderr).not.toMatch(/\n\s+at /)
    expect(existsSync(join(scratch, 'mastoc.db'))).toBe(false)
  })

  it("describes each command's own --json, and a dry run as the README does", async () => {
    const words = (text: string) => text.replace(/\s+/g, ' ')
    const status = words((await runCommand(['status', '--help'])).stdout)
    expect(status).toContain('--json Print the same as JSON, on stdout: counts, latest runs, last completed imports, running imports.')
    expect(status).not.toContain('summary')
    const importAll = words((await runCommand(['import', 'all', '--help'])).stdout)
    expect(importAll).toContain(
      '--json Print only the summary, as JSON, on stdout; a failure prints {"error": {"message", "exitCode"}} there.',
    )
    expect(importAll).toContain(
      '--dry-run Fetch, validate and compute the whole import, report it; write nothing but its line in the run history.',
    )
  })

  it.each(['import holds', 'import users', 'import climbs', 'import all', 'db migrate', 'status'])(
    'has help with examples for %s',
    async (command) => {
      const result = await runCommand([...command.split(' '), '--help'])
      expect(result.code).toBe(0)
      expect(result.stdout).toContain('DESCRIPTION')
      expect(result.stdout).toContain('EXAMPLES')
    },
  )
})

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
