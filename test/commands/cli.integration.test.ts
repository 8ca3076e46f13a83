import {randomUUID} from 'node:crypto'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {migrateToLatest} from '../../src/lib/db/migrate.js'
import {acquireImportLock} from '../../src/lib/db/importLock.js'
import {runCli} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {DATABASE_KINDS, testDatabases, unavailable} from '../support/databases.js'

/**
 * What oclif users expect of a CLI (help, "did you mean", completion, version), and failures that
 * say what to check next, with --json a JSON error object on stdout: through the real CLI.
 */

const SAMPLE = 'test/fixtures/sample-gym'
const LOADED_PACKAGES = fileURLToPath(new URL('../support/printLoadedPackages.mjs', import.meta.url))
const SAMPLE_GYM = (JSON.parse(readFileSync(join(SAMPLE, 'manifest.json'), 'utf8')) as {gymId: string}).gymId
const DB_PASSWORD = 'db-secret-4711'
const STOKT_PASSWORD = 'hunter2-Qx9!zz'

/** The JSON error object a failure with --json prints on stdout. */
function jsonError(stdout: string): {message: string; exitCode: number} {
  const parsed = JSON.parse(stdout) as {error: {message: string; exitCode: number}}
  expect(Object.keys(parsed)).toEqual(['error'])
  return parsed.error
}

describe('mastoc, as oclif users expect it', () => {
  it('has `help` for a command, and -h', async () => {
    const help = await runCommand(['help', 'import', 'all'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('$ mastoc import all')
    const short = await runCommand(['import', 'all', '-h'])
    expect(short.code).toBe(0)
    expect(short.stdout).toBe(help.stdout)
  })

  it('groups the import flags in --help: Stokt, database, output, behaviour', async () => {
    const help = (await runCommand(['import', 'all', '--help'])).stdout
    const headings = help.split('\n').filter((line) => /^[A-Z ]+FLAGS$/.test(line))
    expect(headings).toEqual(['STOKT FLAGS', 'DATABASE FLAGS', 'OUTPUT FLAGS', 'BEHAVIOUR FLAGS'])
    const section = (heading: string) => help.slice(help.indexOf(heading)).split('\n\n')[0]
    expect(section('STOKT FLAGS')).toContain('--stokt-url')
    expect(section('DATABASE FLAGS')).toContain('--batch-size')
    expect(section('OUTPUT FLAGS')).toContain('--json')
    expect(section('BEHAVIOUR FLAGS')).toContain('--dry-run')
    // The warning below is said where the flag is.
    expect(section('DATABASE FLAGS').replace(/\s+/g, ' ')).toContain('--batch-size with it warns')
  })

  it.each([
    [['impor', 'all'], 'mastoc import all'],
    [['import', 'al'], 'mastoc import all'],
    [['statsu'], 'mastoc status'],
  ])('a mistyped command (%j): exit 127, suggesting %s in a few lines', async (argv, suggestion) => {
    const result = await runCommand(argv)
    expect(result.code).toBe(127)
    expect(result.stdout).toBe('')
    expect(result.stderr.replace(/\s*›\s*/g, ' ')).toContain(`Did you mean ${suggestion}?`)
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(4)
  })

  it('a mistyped flag: exit 2, suggesting the flag, without the whole usage', async () => {
    const result = await runCommand(['import', 'all', '--batch-sise', '10'])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    const text = result.stderr.replace(/\s*›\s*/g, ' ')
    expect(text).toContain('Nonexistent flag: --batch-sise. Did you mean --batch-size?')
    expect(text).toContain('See mastoc import all --help')
    expect(result.stderr).not.toContain('USAGE')
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(3)
  })

  it('a stray argument: exit 2, saying which, without the whole usage (a cron mail of a few lines)', async () => {
    const result = await runCommand(['import', 'all', '--incremental', 'extra'])
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr.replace(/\s*›\s*/g, ' ').trim()).toBe('Error: Unexpected argument: extra. See mastoc import all --help')
  })

  it('a mistyped flag with --log-file: the log has the run, its error and its exit code too; no secret in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mastoc-usage-log-'))
    try {
      const logFile = join(dir, 'log', 'import.log')
      const result = await runCli(['import', 'all', '--log-file', logFile, '--batchsize', '100', '--password', STOKT_PASSWORD])
      expect(result.code).toBe(2)
      expect(result.stderr.replace(/\s*›\s*/g, ' ')).toContain('Nonexistent flag: --batchsize. Did you mean --batch-size?')
      const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n')
      expect(lines.map((line) => line.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ /, ''))).toEqual([
        expect.stringMatching(/^mastoc import all: started \(pid \d+\)$/),
        'Error: Nonexistent flag: --batchsize. Did you mean --batch-size? See mastoc import all --help',
        'mastoc import all: exit 2',
      ])
      expect(readFileSync(logFile, 'utf8')).not.toContain(STOKT_PASSWORD)

      // Given twice, which oclif refuses: neither file is the log.
      const other = join(dir, 'other.log')
      const twice = await runCli(['import', 'all', `--log-file=${other}`, '--log-file', logFile, '--batchsize', '100'])
      expect(twice.code).toBe(2)
      expect(existsSync(other)).toBe(false)
      expect(readFileSync(logFile, 'utf8').trimEnd().split('\n')).toHaveLength(3)

      // A log that cannot be written does not change what the usage error says.
      const unwritable = await runCli(['import', 'all', '--log-file', join(logFile, 'import.log'), '--batchsize', '100'])
      expect(unwritable.code).toBe(2)
      expect(unwritable.stderr).toContain('Nonexistent flag: --batchsize')
      expect(unwritable.stderr).not.toContain('log file')
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('a mistyped flag with --json: the JSON error object on stdout, exit 2; no secret given is shown', async () => {
    const result = await runCommand(['import', 'all', '--json', '--no-bacth', `--password=${STOKT_PASSWORD}`], {
      DATABASE_URL: `postgres://u:${DB_PASSWORD}@db/x`,
    })
    expect(result.code).toBe(2)
    expect(result.stdout + result.stderr).not.toMatch(new RegExp(`${STOKT_PASSWORD}|${DB_PASSWORD}`.replace('!', '\\!')))
    const error = jsonError(result.stdout)
    expect(error.exitCode).toBe(2)
    expect(error.message).toBe('Nonexistent flag: --no-bacth. Did you mean --no-batch? See mastoc import all --help')
  })

  it('an oclif usage error with --json (a flag given a wrong value): the JSON error object, exit 2', async () => {
    const result = await runCommand(['status', '--json', '--database'])
    expect(result.code).toBe(2)
    const error = jsonError(result.stdout)
    expect(error).toEqual({message: expect.stringContaining('--database expects a value'), exitCode: 2})
  })

  it('a --database that is no database: exit 2, one line on stderr, with --json the JSON error object; no password', async () => {
    const url = `postgress://mastoc:${DB_PASSWORD}@127.0.0.1:5432/mastoc`
    const message =
      '--database: postgress://mastoc:***@127.0.0.1:5432/mastoc is not one: expected a postgres:// URL or a SQLite file path (for a file whose name has a colon: sqlite:NAME)'
    for (const command of [
      ['status', '--json'],
      ['import', 'holds', '--json', '--from-snapshot', SAMPLE],
    ]) {
      const result = await runCommand([...command, '--database', url])
      expect(result.code, command.join(' ')).toBe(2)
      expect(jsonError(result.stdout)).toEqual({message, exitCode: 2})
      expect(result.stderr).toBe(`Error: ${message}\n`)
      expect(result.stdout + result.stderr).not.toContain(DB_PASSWORD)
    }
    const migrated = await runCommand(['db', 'migrate', '--database', url])
    expect(migrated.code).toBe(2)
    expect(migrated.stdout).toBe('')
    expect(migrated.stderr).toBe(`Error: ${message}\n`)
    expect(migrated.stderr).not.toContain(DB_PASSWORD)
  })

  it('warns of --batch-size with --no-batch, saying what it still does; --no-batch alone says nothing', async () => {
    const warning =
      'warning: --no-batch writes one record per transaction: --batch-size only sets how many records are read before they are written'
    const both = await runCommand([
      'import',
      'holds',
      '--json',
      '--no-batch',
      '--batch-size',
      '100',
      '--from-snapshot',
      SAMPLE,
      '--database',
      ':memory:',
    ])
    expect(both.code).toBe(0)
    expect(both.stderr).toMatch(new RegExp(`^\\S+Z ${warning}\n$`))
    expect(JSON.parse(both.stdout)).toMatchObject({strategy: 'row-by-row', batchSize: 100})

    const alone = await runCommand(['import', 'holds', '--no-batch', '--from-snapshot', SAMPLE, '--database', ':memory:', '--json'])
    expect(alone.stderr).toBe('')
    expect(alone.code).toBe(0)
    expect(JSON.parse(alone.stdout).strategy).toBe('row-by-row')
  })

  it('prints a bash completion script', async () => {
    const result = await runCommand(['autocomplete', 'script', 'bash'], {HOME: mkdtempSync(join(tmpdir(), 'mastoc-home-'))})
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('mastoc autocomplete setup')
  })

  it('has `mastoc version` and --version', async () => {
    const {version} = JSON.parse(readFileSync('package.json', 'utf8')) as {version: string}
    for (const argv of [['version'], ['--version']]) {
      const result = await runCommand(argv)
      expect(result.code).toBe(0)
      expect(result.stdout).toMatch(new RegExp(`^mastoc/${version.replaceAll('.', '\\.')} \\S+ node-v\\d+`))
    }
  })

  // In a process of its own: what loads is the point.
  it('loads, for an import from a snapshot into SQLite, neither pg nor anything PostgreSQL needs', async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'mastoc-cli-'))
    try {
      const result = await runCli(['import', 'all', '--from-snapshot', SAMPLE, '--database', join(scratch, 'mastoc.db'), '--quiet'], {
        NODE_OPTIONS: `--import ${LOADED_PACKAGES}`,
      })
      expect(result.code).toBe(0)
      const loaded = result.stderr.trim().split('\n').at(-1)!.replace('loaded packages: ', '').split(' ')
      expect(loaded).toEqual(expect.arrayContaining(['better-sqlite3', 'knex']))
      // pg-connection-string is knex's own, whatever the database.
      expect(loaded.filter((name) => name.startsWith('pg') && name !== 'pg-connection-string')).toEqual([])
    } finally {
      rmSync(scratch, {recursive: true, force: true})
    }
  })
})

describe('failures that say what to check next', () => {
  let scratch: string
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'mastoc-hints-'))
  })
  afterAll(() => rmSync(scratch, {recursive: true, force: true}))

  it('PostgreSQL refusing connections: names host and port and how to check the server, with --json too; no password', async () => {
    const url = `postgres://mastoc:${DB_PASSWORD}@127.0.0.1:1/mastoc`
    const hint = 'is PostgreSQL running on 127.0.0.1 port 1? Check with: pg_isready -h 127.0.0.1 -p 1'

    const imported = await runCommand(['import', 'all', '--json', '--from-snapshot', SAMPLE], {DATABASE_URL: url})
    expect(imported.code).toBe(1)
    expect(jsonError(imported.stdout)).toEqual({
      message: `cannot use the database postgres://mastoc:***@127.0.0.1:1/mastoc: connect ECONNREFUSED 127.0.0.1:1; ${hint}`,
      exitCode: 1,
    })
    expect(imported.stderr).toBe(`Error: ${jsonError(imported.stdout).message}\n`)

    const status = await runCommand(['status', '--json', '--database', url])
    expect(status.code).toBe(1)
    expect(jsonError(status.stdout).message).toContain(hint)
    for (const output of [imported.stdout, imported.stderr, status.stdout, status.stderr]) expect(output).not.toContain(DB_PASSWORD)
  })

  it('Stokt unreachable: names the URL it used, --stokt-url and STOKT_URL; no password', async () => {
    const result = await runCommand(['import', 'all', '--json', '--retries', '0', '--database', join(scratch, 'stokt.db')], {
      STOKT_URL: 'http://127.0.0.1:1',
      STOKT_USERNAME: 'me@example.com',
      STOKT_PASSWORD,
    })
    expect(result.code).toBe(1)
    const error = jsonError(result.stdout)
    expect(error.exitCode).toBe(1)
    expect(error.message).toMatch(
      /connection refused; is Stokt at http:\/\/127\.0\.0\.1:1\? Check --stokt-url \(STOKT_URL\) and the network$/,
    )
    expect(result.stdout + result.stderr).not.toContain(STOKT_PASSWORD)
  })

  it('a SQLite file in a folder that does not exist: says to create the folder', async () => {
    const folder = join(scratch, 'no', 'such')
    const result = await runCommand(['import', 'all', '--from-snapshot', SAMPLE, '--database', join(folder, 'mastoc.db')])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain(
      `; the folder ${folder} does not exist: create it (mkdir -p ${folder}) or give --database (DATABASE_URL) another path\n`,
    )
    expect(existsSync(join(scratch, 'no'))).toBe(false)
  })
})

describe.each(DATABASE_KINDS)('on %s', (kind) => {
  const skip = unavailable(kind)
  const databases = testDatabases(kind)
  afterAll(() => databases.dropAll())

  it.skipIf(skip)('a lock held by another run: exit 1 naming the holder and --wait-lock, with --json the JSON error object', async () => {
    const database = await databases.fresh()
    const db = database.knex()
    await migrateToLatest(db)
    const lock = await acquireImportLock(db, kind, {
      gymStoktId: SAMPLE_GYM,
      runId: randomUUID(),
      holder: 'pid 4242 on ops-1, import all',
      waitSeconds: 0,
    })
    try {
      const result = await runCommand(['import', 'all', '--json', '--from-snapshot', SAMPLE], {DATABASE_URL: database.url})
      expect(result.code).toBe(1)
      const error = jsonError(result.stdout)
      expect(error.exitCode).toBe(1)
      expect(error.message).toMatch(
        new RegExp(
          `^another import of gym ${SAMPLE_GYM} holds the lock: pid 4242 on ops-1, import all, since \\S+ \\(waited 0 s\\); run again once it has finished, or give --wait-lock SECONDS to wait for it$`,
        ),
      )
      expect(result.stderr).toBe(`Error: ${error.message}\n`)
    } finally {
      await lock.release()
    }
  })

  it.skipIf(skip)(
    kind === 'sqlite'
      ? 'status of a SQLite file that does not exist: exit 1 naming it; nothing created'
      : 'status of a database that does not exist: exit 1 saying how to create it',
    async () => {
      let url: string
      let expected: string
      if (kind === 'sqlite') {
        const folder = mkdtempSync(join(tmpdir(), 'mastoc-status-'))
        url = join(folder, 'typo.db')
        expected = `sqlite:${url} does not exist: check --database (DATABASE_URL) and the directory it is relative to; an import or \`mastoc db migrate\` creates it (status does not)`
      } else {
        const database = await databases.fresh()
        const parsed = new URL(database.url)
        parsed.pathname = `${parsed.pathname}_not_made`
        parsed.password = DB_PASSWORD // trust auth: any password will do, and must not be shown
        url = parsed.toString()
        const name = parsed.pathname.slice(1)
        expected = `createdb -h ${parsed.hostname} -p ${parsed.port || 5432} -U ${decodeURIComponent(parsed.username)} ${name}`
      }

      const human = await runCommand(['status', '--database', url])
      const json = await runCommand(['status', '--json', '--database', url])

      expect(human.code).toBe(1)
      expect(human.stdout).toBe('')
      expect(human.stderr).toContain(expected)
      expect(json.code).toBe(1)
      expect(jsonError(json.stdout)).toEqual({message: expect.stringContaining(expected), exitCode: 1})
      for (const output of [human.stderr, json.stdout, json.stderr]) expect(output).not.toContain(DB_PASSWORD)
      if (kind === 'sqlite') expect(existsSync(url)).toBe(false)
    },
  )
})
