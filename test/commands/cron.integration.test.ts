import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect} from 'vitest'

import {runCli, type CliResult} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {DATABASE_KINDS, testDatabases, unavailable, type TestDatabase} from '../support/databases.js'
import {wallNameOf, writeCounts} from '../support/gymData.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {makeServerTables, storedInstant, storedUuid} from '../support/serverTables.js'
import {sendJson, startStoktServer, DEFAULT_PASSWORD, DEFAULT_TOKEN, DEFAULT_USERNAME, type StoktServer} from '../support/stoktServer.js'
import {it} from '../support/withStoktServer.js'

const GYM_SPEC = {seed: 21, faces: 2, holdsPerFace: 30, climbs: 50, setters: 6}
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The README's cron file: its variable lines, and its job's command, as cron hands it to sh. */
function readmeCronJob(): {variables: Record<string, string>; command: string} {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const block = /## From cron\n+```cron\n([\s\S]*?)```/.exec(readme)?.[1]
  if (block === undefined) throw new Error('README.md has no cron block under "## From cron"')
  const lines = block.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'))
  const variables = Object.fromEntries(
    lines.filter((line) => /^\w+=/.test(line)).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  )
  const job = lines.filter((line) => !/^\w+=/.test(line))
  expect(job).toHaveLength(1)
  // Five time fields, the user, then the command; cron turns each "\%" into "%".
  const command = job[0].replace(/^(\S+\s+){6}/, '').replaceAll('\\%', '%')
  return {variables, command}
}

/**
 * The README's cron job run as cron runs it: `sh -c`, no terminal, an environment of the cron
 * file's variables and what cron sets, nothing else; its paths moved to `dir`. The folder of
 * this test's `node` goes on the PATH, wherever it is installed here.
 */
function runCronJob(dir: string): Promise<CliResult> {
  const {variables, command} = readmeCronJob()
  const local = command.replaceAll('/etc/mastoc.env', join(dir, 'mastoc.env')).replaceAll('/var/log/mastoc', join(dir, 'log', 'mastoc'))
  // `mastoc` as `npm install -g` installs it: a link to bin/run.js in the PATH's /usr/local/bin, here a folder of the test's.
  const installed = join(dir, 'usr-local-bin')
  mkdirSync(installed, {recursive: true})
  if (!existsSync(join(installed, 'mastoc'))) symlinkSync(join(ROOT, 'bin', 'run.js'), join(installed, 'mastoc'))
  const path = (variables.PATH ?? '/usr/bin:/bin').replace('/usr/local/bin', installed)
  const env = {HOME: dir, LOGNAME: 'mastoc', SHELL: '/bin/sh', ...variables, PATH: `${path}:${dirname(process.execPath)}`}
  const child = spawn('/bin/sh', ['-c', local], {env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({code, signal, stdout, stderr}))
  })
}

/** What `set -a; . FILE` reads: one quoted value a line. */
function writeEnvFile(path: string, values: Record<string, string>): void {
  writeFileSync(
    path,
    Object.entries(values)
      .map(([name, value]) => `${name}='${value}'\n`)
      .join(''),
    {mode: 0o600},
  )
}

const TIMESTAMPED = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /

describe.each(DATABASE_KINDS)('running from cron on %s', (kind) => {
  const skip = unavailable(kind)
  let gym: GeneratedGym
  let server: StoktServer
  const databases = testDatabases(kind)
  const cronEnv = (database: TestDatabase, stoktServer: StoktServer) => ({
    DATABASE_URL: database.url,
    MASTOC_GYM: gym.gymId,
    STOKT_URL: stoktServer.url,
    STOKT_TOKEN: DEFAULT_TOKEN,
  })
  /** The command as cron's job runs it, in this process: what it imports is the point, not the process. */
  const mastoc = (database: TestDatabase, args: string[], stoktServer = server) => runCommand(args, cronEnv(database, stoktServer))
  /** In a process of its own, which writes the log's last line as it exits. */
  const mastocProcess = (database: TestDatabase, args: string[], stoktServer = server) => runCli(args, cronEnv(database, stoktServer))
  const climbRequests = () => server.requests.filter((request) => request.path.endsWith('/climbs'))
  /** The suite's gym as Stokt serves it once it has dropped one climb. */
  const withoutClimb = async (index: number) => {
    const smaller = generateGym(GYM_SPEC)
    smaller.climbs.splice(index, 1)
    return {
      dropped: gym.climbs[index] as {id: string; name: string; faceId: string},
      smaller,
      shrunk: await startStoktServer({gym: smaller, pageSize: 20}),
    }
  }
  /** `missing` as --json gives it for one dropped climb: its id, and its name and wall beside it. */
  const missingOne = (dropped: {id: string; name: string; faceId: string}) => ({
    count: 1,
    ids: [dropped.id],
    labels: {[dropped.id]: {name: dropped.name, face: wallNameOf(gym, dropped.faceId)}},
  })

  beforeAll(async () => {
    if (skip) return
    gym = generateGym(GYM_SPEC)
    server = await startStoktServer({gym, pageSize: 20})
  })
  afterAll(async () => {
    await server?.close()
    await databases.dropAll()
  })

  describe("the README's cron line", () => {
    let dir: string
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mastoc-cron-'))
    })
    afterAll(() => rmSync(dir, {recursive: true, force: true}))
    const log = () => readFileSync(join(dir, 'log', 'mastoc', 'import.log'), 'utf8')

    it.skipIf(skip)('prints nothing when a run exits 0, warnings or not (no mail), and logs every run', async () => {
      const database = await databases.fresh()
      writeEnvFile(join(dir, 'mastoc.env'), {
        DATABASE_URL: database.url,
        STOKT_USERNAME: DEFAULT_USERNAME,
        STOKT_PASSWORD: DEFAULT_PASSWORD,
        STOKT_URL: server.url,
        MASTOC_GYM: gym.gymId,
      })
      expect(existsSync(join(dir, 'log'))).toBe(false)

      const first = await runCronJob(dir)
      expect(first).toMatchObject({code: 0, stdout: '', stderr: ''})
      const firstLog = log()
      for (const line of firstLog.trimEnd().split('\n')) expect(line).toMatch(TIMESTAMPED)
      expect(firstLog).toMatch(/Z mastoc import all: started \(pid \d+\)\n/)
      expect(firstLog).toContain(` Reading every climb from Stokt at ${server.url}\n`)
      expect(firstLog).toContain(
        ` Imported gym ${gym.gymId} into ${kind === 'sqlite' ? `sqlite:${database.url}` : database.url} (batches of 1000)`,
      )
      expect(firstLog).toMatch(/Z climbs +50 +0 +0 +0 +50\n/)
      expect(firstLog).toMatch(/Z mastoc import all: exit 0\n$/)

      // A run that warns (a clock was wrong) but exits 0 needs no one: still nothing printed.
      const ahead = new Date(Date.now() + 2 * 86_400_000).toISOString().replace('Z', '000Z')
      await database.knex()('import_cursors').update({climbs_started_at: ahead})
      const second = await runCronJob(dir)
      expect(second).toMatchObject({code: 0, stdout: '', stderr: ''})
      const secondLog = log()
      expect(secondLog.startsWith(firstLog)).toBe(true)
      expect(secondLog.slice(firstLog.length)).toMatch(
        /Z warning: the last climbs import of gym .* a clock is wrong; reading every climb\n/,
      )
      expect(secondLog.slice(firstLog.length)).toMatch(/Z mastoc import all: exit 0\n$/)
      expect(secondLog).not.toContain(DEFAULT_PASSWORD)
    })

    it.skipIf(skip)('prints the error when Stokt refuses the credentials (exit 1: mailed), and logs it too', async () => {
      const database = await databases.fresh()
      writeEnvFile(join(dir, 'mastoc.env'), {
        DATABASE_URL: database.url,
        STOKT_USERNAME: DEFAULT_USERNAME,
        STOKT_PASSWORD: 'not the password',
        STOKT_URL: server.url,
        MASTOC_GYM: gym.gymId,
      })
      const before = existsSync(join(dir, 'log', 'mastoc', 'import.log')) ? log() : ''

      const result = await runCronJob(dir)
      expect(result.code).toBe(1)
      expect(result.stdout).toBe('')
      expect(result.stderr).toMatch(/^Error: .*\n$/)
      expect(result.stderr).not.toContain('not the password')
      const thisRun = log().slice(before.length)
      expect(thisRun).toContain(`Z ${result.stderr.trimEnd()}\n`)
      expect(thisRun).toMatch(/Z mastoc import all: exit 1\n$/)
    })
  })

  it.skipIf(skip)(
    'with --log-file: prints the rejected records of a run that exits 3, and fails clearly where the log cannot be',
    async ({withStoktServer}) => {
      const database = await databases.fresh()
      const dir = mkdtempSync(join(tmpdir(), 'mastoc-log-'))
      const bad = generateGym(GYM_SPEC)
      ;(bad.climbs[2] as Record<string, unknown>).faceId = 'not-a-uuid'
      const badServer = await withStoktServer({gym: bad})
      try {
        const logFile = join(dir, 'new', 'folder', 'import.log')
        const result = await mastocProcess(database, ['import', 'all', '--log-file', logFile], badServer)
        expect(result.code).toBe(3)
        expect(result.stdout).toBe('')
        expect(result.stderr).toBe(`1 record was rejected:\n  climb ${String((bad.climbs[2] as {id: string}).id)}: faceId: not a UUID\n`)
        expect(readFileSync(logFile, 'utf8')).toMatch(/Z 1 record was rejected:\n.*\n.*Z mastoc import all: exit 3\n$/)

        writeFileSync(join(dir, 'a-file'), '')
        const unwritable = await mastocProcess(database, ['import', 'all', '--log-file', join(dir, 'a-file', 'import.log')])
        expect(unwritable.code).toBe(1)
        expect(unwritable.stdout).toBe('')
        expect(unwritable.stderr).toMatch(
          new RegExp(`^Error: cannot write the log file ${join(dir, 'a-file', 'import.log')}: E[A-Z]+: .*\n$`),
        )
      } finally {
        rmSync(dir, {recursive: true, force: true})
      }
    },
  )

  it.skipIf(skip)('asks Stokt for max_age=7 only, on an incremental run right after a full one', async () => {
    const database = await databases.fresh()
    const first = climbRequests().length
    expect((await mastoc(database, ['import', 'all', '--incremental', '--json'])).code).toBe(0)
    expect(
      climbRequests()
        .slice(first)
        .map((request) => request.query.get('max_age')),
    ).toContain('9999')

    const second = climbRequests().length
    const result = await mastoc(database, ['import', 'all', '--incremental', '--json'])
    expect(result.code).toBe(0)
    const maxAges = climbRequests()
      .slice(second)
      .map((request) => request.query.get('max_age'))
    expect(new Set(maxAges)).toEqual(new Set(['7']))
  })

  it.skipIf(skip)("reads every climb, saying why, when the last import's cursor is after now (a clock was wrong)", async () => {
    const database = await databases.fresh()
    expect((await mastoc(database, ['import', 'all', '--json'])).code).toBe(0)
    // The last run's machine had its clock two days ahead.
    const ahead = new Date(Date.now() + 2 * 86_400_000).toISOString().replace('Z', '000Z')
    await database.knex()('import_cursors').update({climbs_started_at: ahead})

    const before = climbRequests().length
    const result = await mastoc(database, ['import', 'all', '--incremental', '--quiet'])
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(
      new RegExp(
        `the last climbs import of gym ${gym.gymId} started at ${ahead.slice(0, 19)}.*, after now \\(.*\\): a clock is wrong; reading every climb`,
      ),
    )
    expect(
      new Set(
        climbRequests()
          .slice(before)
          .map((request) => request.query.get('max_age')),
      ),
    ).toEqual(new Set(['9999']))
  })

  it.skipIf(skip)('does not move the cursor when a run fails', async ({withStoktServer}) => {
    const database = await databases.fresh()
    // A first full import, then a failed one: the cursor stays where the full one put it.
    expect((await mastoc(database, ['import', 'all', '--json'])).code).toBe(0)
    const [cursorBefore] = await database.knex()('import_cursors').select('climbs_started_at', 'run_id')
    const failing = await withStoktServer({
      gym,
      pageSize: 20,
      intercept: (request, res) => (request.path.endsWith('/climbs') ? (sendJson(res, 500, {detail: 'boom'}), true) : false),
    })
    const failed = await mastoc(database, ['import', 'all', '--incremental', '--retries', '0'], failing)
    expect(failed.code).toBe(1)
    expect(failed.stderr).toContain('climbs page 1')
    const [cursorAfter] = await database.knex()('import_cursors').select('climbs_started_at', 'run_id')
    expect(cursorAfter).toEqual(cursorBefore)
    const runs = await database.knex()('import_runs').orderBy('started_at', 'desc').select('status', 'error')
    expect(runs[0].status).toBe('failed')
    expect(runs[0].error).toContain('climbs page 1')
  })

  it.skipIf(skip)('lists both runs, newest first, with their summaries, in mastoc status --json', async () => {
    const database = await databases.fresh()
    const holds = await mastoc(database, ['import', 'holds', '--json'])
    const climbs = await mastoc(database, ['import', 'climbs', '--no-batch', '--json'])
    const status = await runCommand(['status', '--json'], {DATABASE_URL: database.url})
    expect(status.code).toBe(0)
    const parsed = JSON.parse(status.stdout)
    const faces = gym.setups.size
    expect(parsed.counts).toEqual({gyms: 1, faces, holds: faces * GYM_SPEC.holdsPerFace, users: expect.any(Number), climbs: 50})
    expect(parsed.runs.map((run: {command: string}) => run.command)).toEqual(['import climbs', 'import holds'])
    expect(parsed.runs[0]).toMatchObject({status: 'succeeded', strategy: 'row-by-row', gymStoktId: gym.gymId, dryRun: false})
    expect(parsed.runs[0].summary).toEqual(JSON.parse(climbs.stdout))
    expect(parsed.runs[1].summary).toEqual(JSON.parse(holds.stdout))
    expect(parsed.runs[0].finishedAt > parsed.runs[0].startedAt).toBe(true)
    expect(parsed.lastCompleted.map((run: {command: string}) => run.command)).toEqual(['import climbs'])
  })

  it.skipIf(skip)(
    'reports a climb Stokt dropped as missing after a full walk, and not after an interrupted one',
    async ({withStoktServer}) => {
      const database = await databases.fresh()
      expect((await mastoc(database, ['import', 'all'])).code).toBe(0)
      const {dropped, smaller, shrunk} = await withoutClimb(7)
      try {
        const full = await mastoc(database, ['import', 'all', '--json'], shrunk)
        expect(full.code).toBe(0)
        expect(JSON.parse(full.stdout).missing).toEqual(missingOne(dropped))
        // A person reads the climb's name and wall beside its id.
        const human = await mastoc(database, ['import', 'all'], shrunk)
        expect(human.stdout).toContain(
          `1 climb is no longer served by Stokt (kept):\n  ${dropped.id}  ${JSON.stringify(dropped.name)} on ${wallNameOf(gym, dropped.faceId)}\n`,
        )
        // never deleted
        expect(await database.knex()('climbs').where('stokt_id', storedUuid(database.knex(), dropped.id)).first()).toBeDefined()

        const partial = await mastoc(database, ['import', 'all', '--json', '--max-age', '30'], shrunk)
        expect(JSON.parse(partial.stdout).missing).toBeUndefined()
      } finally {
        await shrunk.close()
      }
      const interrupting = await withStoktServer({
        gym: smaller,
        pageSize: 20,
        intercept: (request, res) => (request.query.get('page') === '3' ? (sendJson(res, 503, {detail: 'down'}), true) : false),
      })
      const interrupted = await mastoc(database, ['import', 'all', '--json', '--retries', '0'], interrupting)
      expect(interrupted.code).toBe(1)
      const [run] = await database.knex()('import_runs').orderBy('started_at', 'desc').limit(1)
      const summary = typeof run.summary === 'string' ? JSON.parse(run.summary) : run.summary
      expect(summary.missing).toBeUndefined()
    },
  )

  it.skipIf(skip)("never counts the mastoc server's own climbs, without a Stokt id, as missing", async () => {
    const database = await databases.fresh()
    const knex = database.knex()
    // The server's own tables, made before any import, with a column of its own; its climbs need no
    // Stokt id, and `source` defaults to 'stokt', which the server's own climbs may be left with.
    await makeServerTables(knex, {
      edit: (ddl) =>
        ddl.replace(
          /(CREATE TABLE climbs \([^;]*?)source VARCHAR\(20\) NOT NULL,/,
          "$1source VARCHAR(20) NOT NULL DEFAULT 'stokt', favorites INTEGER DEFAULT 0 NOT NULL,",
        ),
    })
    expect((await mastoc(database, ['import', 'all'])).code).toBe(0)
    const [{face_id: faceId}] = await knex('climbs').limit(1).select('face_id')
    const at = storedInstant(knex, '2026-11-20T10:00:00.000000Z')
    const serverClimb = {
      face_id: faceId,
      holds_list: '',
      created_at: at,
      synced_at: at,
      updated_at: at,
      favorites: 3,
      is_private: false,
      is_benchmark: false,
      is_project: false,
      climbed_by: 0,
      total_likes: 0,
      total_comments: 0,
    }
    // One by one: a multi-row insert would write the second one's missing `source` as NULL on SQLite.
    await knex('climbs').insert({
      ...serverClimb,
      id: storedUuid(knex, '0190a5e2-0000-7000-8000-0000000000c1'),
      stokt_id: null,
      name: 'Set in the gym',
      source: 'mastoc',
    })
    await knex('climbs').insert({
      ...serverClimb,
      id: storedUuid(knex, '0190a5e2-0000-7000-8000-0000000000c2'),
      stokt_id: null,
      name: 'Set in the gym too',
    })

    const rerun = await mastoc(database, ['import', 'all', '--json'])
    expect(rerun.code).toBe(0)
    expect(JSON.parse(rerun.stdout).missing).toEqual({count: 0, ids: []})
    expect(rerun.stderr).not.toContain('no longer served')

    const {dropped, shrunk} = await withoutClimb(7)
    try {
      const full = await mastoc(database, ['import', 'all', '--json'], shrunk)
      expect(full.code).toBe(0)
      expect(JSON.parse(full.stdout).missing).toEqual(missingOne(dropped))
    } finally {
      await shrunk.close()
    }
    // The server's climbs are as it left them.
    expect(await knex('climbs').whereNull('stokt_id').orderBy('id').select('name', 'favorites')).toEqual([
      {name: 'Set in the gym', favorites: 3},
      {name: 'Set in the gym too', favorites: 3},
    ])
  })

  it.skipIf(skip)('shows exactly the changed fields on a dry run against a changed gym, and writes nothing', async ({withStoktServer}) => {
    const database = await databases.fresh()
    expect((await mastoc(database, ['import', 'all'])).code).toBe(0)
    const changed = generateGym(GYM_SPEC)
    const climb = changed.climbs[4] as Record<string, unknown>
    const oldName = climb.name
    climb.name = 'Nouveau nom ’25'
    climb.totalLikes = (climb.totalLikes as number) + 3
    const oldLikes = (gym.climbs[4] as {totalLikes: number}).totalLikes
    const newSetter = {
      ...((changed.climbs[0] as Record<string, unknown>).climbSetters as object),
      id: '0000000b-0000-4000-8000-000000000001',
      fullName: 'Zoé Nouvelle',
    }
    const newClimb: Record<string, unknown> = {
      ...changed.climbs[0],
      id: '0000000a-0000-4000-8000-000000000001',
      name: 'Brand new',
      climbSetters: newSetter,
    }
    const wall = (faceId: unknown) => wallNameOf(changed, faceId)
    changed.climbs.unshift(newClimb)
    const changedServer = await withStoktServer({gym: changed, pageSize: 20})
    const stamps = await writeCounts(database.knex())
    const dry = await mastoc(database, ['import', 'all', '--dry-run', '--json'], changedServer)
    expect(dry.code).toBe(0)
    const summary = JSON.parse(dry.stdout)
    expect(summary.changes.climbs).toEqual({
      create: [newClimb.id],
      update: [
        {
          stoktId: climb.id,
          fields: [
            {field: 'name', from: oldName, to: 'Nouveau nom ’25'},
            {field: 'total_likes', from: oldLikes, to: oldLikes + 3},
          ],
        },
      ],
      labels: {
        [newClimb.id as string]: {name: 'Brand new', face: wall(newClimb.faceId)},
        [climb.id as string]: {name: 'Nouveau nom ’25', face: wall(climb.faceId)},
      },
    })
    expect(summary.changes.users).toEqual({create: [newSetter.id], update: [], labels: {[newSetter.id]: {name: 'Zoé Nouvelle'}}})
    expect(summary.changes.holds).toBeUndefined()
    expect(await writeCounts(database.knex())).toEqual(stamps)
    expect(
      await database
        .knex()('climbs')
        .where('stokt_id', newClimb.id as string)
        .first(),
    ).toBeUndefined()

    const human = await mastoc(database, ['import', 'all', '--dry-run'], changedServer)
    // Its phase lines say what it does: it compares, it writes nothing.
    expect(human.stderr).toMatch(/Z Comparing the gym$/m)
    expect(human.stderr).toMatch(/Z Reading 2 face setups and comparing their holds$/m)
    expect(human.stderr).not.toMatch(/writ/i)
    // Beside each id, what a person knows it by: a climb's name and wall, a setter's name.
    expect(human.stdout).toContain(`users to create (1):\n  ${newSetter.id}  "Zoé Nouvelle"\n`)
    expect(human.stdout).toContain(`climbs to create (1):\n  ${String(newClimb.id)}  "Brand new" on ${wall(newClimb.faceId)}\n`)
    expect(human.stdout).toContain(
      `climbs to update (1):\n  ${String(climb.id)}  "Nouveau nom ’25" on ${wall(climb.faceId)}: name ${JSON.stringify(oldName)} → "Nouveau nom ’25", total_likes ${oldLikes} → ${oldLikes + 3}`,
    )
  })

  it.skipIf(skip)('prints nothing with --quiet when all is well, and the rejected records when not', async ({withStoktServer}) => {
    const database = await databases.fresh()
    const quiet = await mastoc(database, ['import', 'all', '--quiet'])
    expect(quiet.code).toBe(0)
    expect(quiet.stdout).toBe('')
    expect(quiet.stderr).toBe('')
    const bad = generateGym(GYM_SPEC)
    ;(bad.climbs[2] as Record<string, unknown>).faceId = 'not-a-uuid'
    const badServer = await withStoktServer({gym: bad})
    const result = await mastoc(database, ['import', 'all', '--quiet'], badServer)
    expect(result.code).toBe(3)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(`climb ${String((bad.climbs[2] as {id: string}).id)}: faceId: not a UUID`)
  })
})
