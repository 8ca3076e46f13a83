import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {migrateToLatest} from '../../src/lib/db/migrate.js'
import {runCli} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {createTestDatabase, DATABASE_KINDS, testDatabases, unavailable} from '../support/databases.js'
import {startFakePostgres} from '../support/fakePostgres.js'
import {CAN_MOUNT, mountTmpfs} from '../support/fileSystems.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {DEFAULT_PASSWORD, DEFAULT_USERNAME, startStoktServer, type StoktServer} from '../support/stoktServer.js'

/**
 * The database unreachable or unusable, through the real CLI: the run exits 1 with one line naming
 * the database (its password masked), before anything is fetched from Stokt — the test server must
 * not see a single request — and without writing anything.
 */

const GYM_SPEC = {seed: 47, faces: 2, holdsPerFace: 20, climbs: 20, setters: 4}
const DB_PASSWORD = 'db-secret-123'

describe('the database unreachable or unusable', () => {
  let gym: GeneratedGym
  let server: StoktServer
  let scratch: string
  /** PostgreSQL databases made read-only by a test. */
  const databases = testDatabases('postgres')

  beforeAll(async () => {
    gym = generateGym(GYM_SPEC)
    server = await startStoktServer({gym})
    scratch = mkdtempSync(join(tmpdir(), 'mastoc-dbfaults-'))
  })
  afterAll(async () => {
    await databases.dropAll()
    await server?.close()
    rmSync(scratch, {recursive: true, force: true})
  })

  /** `import all` against `database`, logging in to Stokt with a username and password. */
  const importInto = (database: string) =>
    runCommand(['import', 'all', '--json'], {
      DATABASE_URL: database,
      MASTOC_GYM: gym.gymId,
      STOKT_URL: server.url,
      STOKT_USERNAME: DEFAULT_USERNAME,
      STOKT_PASSWORD: DEFAULT_PASSWORD,
    })

  it('PostgreSQL unreachable: exit 1 naming the URL with its password masked, nothing fetched', async () => {
    const url = 'postgres://mastoc:s3cret-pass@127.0.0.1:1/mastoc'
    const requestsBefore = server.requests.length

    const result = await importInto(url)

    expect(result.code).toBe(1)
    const message =
      'cannot use the database postgres://mastoc:***@127.0.0.1:1/mastoc: connect ECONNREFUSED 127.0.0.1:1; ' +
      'is PostgreSQL running on 127.0.0.1 port 1? Check with: pg_isready -h 127.0.0.1 -p 1'
    expect(JSON.parse(result.stdout)).toEqual({error: {message, exitCode: 1}})
    expect(result.stderr).toBe(`Error: ${message}\n`)
    expect(server.requests.length).toBe(requestsBefore)

    // mastoc status fails the same way, and no output ever shows the password.
    const status = await runCommand(['status', '--json'], {DATABASE_URL: url})
    expect(status.code).toBe(1)
    expect(status.stderr).toContain('postgres://mastoc:***@127.0.0.1:1/mastoc')
    for (const output of [result.stdout, result.stderr, status.stdout, status.stderr]) expect(output).not.toContain('s3cret-pass')
  })

  describe.each([
    // Migrated already, the run does not migrate: recording it is its first write.
    {migrated: true, refused: 'cannot record the run in', reason: 'cannot execute INSERT in a read-only transaction (25006)'},
    {migrated: false, refused: 'cannot use', reason: 'cannot execute CREATE TABLE in a read-only transaction (25006)'},
  ])('PostgreSQL read-only (default_transaction_read_only), migrated before: $migrated', ({migrated, refused, reason}) => {
    it.skipIf(unavailable('postgres'))('exit 1 naming the database, nothing fetched, nothing written', async () => {
      const database = await databases.fresh()
      const name = new URL(database.url).pathname.slice(1)
      const url = withPassword(database.url, DB_PASSWORD)
      if (migrated) expect((await runCommand(['db', 'migrate'], {DATABASE_URL: url})).code).toBe(0)
      // Every session opened from now on is read-only.
      const db = database.knex()
      await db.raw(`alter database "${name}" set default_transaction_read_only = on`)
      const requestsBefore = server.requests.length

      const result = await importInto(url)

      expect(result.code).toBe(1)
      expect(JSON.parse(result.stdout).error.exitCode).toBe(1)
      expect(result.stderr).toBe(`Error: ${refused} the database ${withPassword(database.url, '***')}: ${reason}\n`)
      expect(result.stderr).not.toContain(DB_PASSWORD)
      expect(server.requests.length).toBe(requestsBefore)
      expect(await db.schema.hasTable('import_runs')).toBe(migrated)
      if (migrated) expect(Number((await db('import_runs').count({n: '*'}))[0].n)).toBe(0)

      // mastoc status only reads: it answers on a read-only database, migrated or not.
      const status = await runCommand(['status', '--json'], {DATABASE_URL: url})
      expect(status.stderr).toBe('')
      expect(status.code).toBe(0)
      expect(JSON.parse(status.stdout)).toEqual({
        counts: {gyms: 0, faces: 0, holds: 0, users: 0, climbs: 0},
        runs: [],
        lastCompleted: [],
        locks: [],
      })
    })
  })

  // pg's own warnings (one for these sslmodes, one for a password read from ~/.pgpass) went to
  // stderr on every run, --quiet or not: cron mails whatever a run prints there, every night.
  it.skipIf(unavailable('postgres'))(
    'PostgreSQL with sslmode=require on a server without SSL: each command exits 1 in one line, with no library warning',
    async () => {
      const database = await databases.fresh()
      const url = `${withPassword(database.url, DB_PASSWORD)}?sslmode=require&application_name=mastoc-cron`
      const shown = `${withPassword(database.url, '***')}?sslmode=require&application_name=mastoc-cron`
      const env = {
        DATABASE_URL: url,
        MASTOC_GYM: gym.gymId,
        STOKT_URL: server.url,
        STOKT_USERNAME: DEFAULT_USERNAME,
        STOKT_PASSWORD: DEFAULT_PASSWORD,
      }

      const imported = await runCli(['import', 'all', '--quiet'], env)
      const migrated = await runCli(['db', 'migrate'], env)
      const status = await runCli(['status'], env)

      expect(imported.code).toBe(1)
      expect(imported.stderr).toBe(`Error: cannot use the database ${shown}: The server does not support SSL connections\n`)
      for (const result of [migrated, status]) {
        expect(result.code).toBe(1)
        expect(result.stderr).toBe(`Error: the database ${shown} failed: The server does not support SSL connections\n`)
      }
    },
  )

  it('a password read from ~/.pgpass (PGPASSFILE) and refused by the server: exit 1 in one line, with no library warning', async () => {
    const postgres = await startFakePostgres('cleartext')
    try {
      const passFile = join(scratch, 'pgpass')
      writeFileSync(passFile, `127.0.0.1:${postgres.port}:mastoc:mastoc:from-pgpass-secret\n`, {mode: 0o600})
      const url = `postgres://mastoc@127.0.0.1:${postgres.port}/mastoc`

      const result = await runCli(['db', 'migrate', '--database', url], {PGPASSFILE: passFile})

      expect(postgres.passwords).toEqual(['from-pgpass-secret'])
      expect(result.code).toBe(1)
      expect(result.stderr).toBe(`Error: the database ${url} failed: password authentication failed for user "mastoc" (28P01)\n`)
    } finally {
      await postgres.close()
    }
  })

  it.each([
    ['import all', ['import', 'all'], 'cannot use the database URL:'],
    ['status', ['status'], 'the database URL failed:'],
  ])('%s on a server that asks for a password none was given: exit 1 saying so, in one line', async (_, command, prefix) => {
    const postgres = await startFakePostgres('scram')
    try {
      const url = `postgres://mastoc@127.0.0.1:${postgres.port}/mastoc`
      const env = {MASTOC_GYM: gym.gymId, STOKT_URL: server.url, STOKT_USERNAME: DEFAULT_USERNAME, STOKT_PASSWORD: DEFAULT_PASSWORD}

      const result = await runCommand([...command, '--database', url], env)

      expect(result.code).toBe(1)
      expect(result.stderr).toBe(
        `Error: ${prefix.replace('URL', url)} the server asks for a password and none was given (in the URL, PGPASSWORD or ~/.pgpass)\n`,
      )
    } finally {
      await postgres.close()
    }
  })

  // It said "an empty database" once (exit 0): a mistyped path, or cron's working directory, went
  // unnoticed; now it is a failure, naming the file.
  it('mastoc status in a fresh directory (the default ./mastoc.db not there): exit 1 naming it; no file is created', async () => {
    const fresh = mkdtempSync(join(scratch, 'fresh-'))
    const message =
      'sqlite:./mastoc.db does not exist: check --database (DATABASE_URL) and the directory it is relative to; an import or `mastoc db migrate` creates it (status does not)'
    const status = await runCli(['status', '--json'], {}, {cwd: fresh})
    expect(status.code).toBe(1)
    expect(status.stderr).toBe(`Error: ${message}\n`)
    expect(JSON.parse(status.stdout)).toEqual({error: {message, exitCode: 1}})
    expect(existsSync(join(fresh, 'mastoc.db'))).toBe(false)

    const human = await runCli(['status'], {}, {cwd: fresh})
    expect(human.code).toBe(1)
    expect(human.stdout).toBe('')
    expect(human.stderr).toBe(`Error: ${message}\n`)
    expect(existsSync(join(fresh, 'mastoc.db'))).toBe(false)
  })

  it('mastoc status on a SQLite file in a directory that does not exist: exit 1 saying so; no directory is created', async () => {
    const path = join(scratch, 'no-dir', 'mastoc.db')
    const status = await runCommand(['status', '--json'], {DATABASE_URL: path})
    expect(status.code).toBe(1)
    expect(status.stderr).toBe(
      `Error: sqlite:${path} does not exist (nor does its folder ${join(scratch, 'no-dir')}): check --database (DATABASE_URL) and the directory it is relative to; an import or \`mastoc db migrate\` creates it (status does not)\n`,
    )
    expect(JSON.parse(status.stdout).error.exitCode).toBe(1)
    expect(existsSync(join(scratch, 'no-dir'))).toBe(false)
  })

  // SQLite makes a WAL file's -shm index beside it to read it, which a read-only folder refuses.
  it.skipIf(!CAN_MOUNT)(
    'mastoc status on a SQLite file in a folder it cannot write: the counts and runs, exit 0, nothing written',
    async () => {
      const folder = mountTmpfs(4096)
      try {
        const path = join(folder.path, 'mastoc.db')
        expect((await importInto(path)).code).toBe(0)
        const before = readFileSync(path)
        folder.makeReadOnly()

        const status = await runCommand(['status', '--json', '--database', path])

        expect(status.stderr).toBe('')
        expect(status.code).toBe(0)
        const {counts, runs} = JSON.parse(status.stdout)
        expect(counts).toEqual({
          gyms: 1,
          faces: GYM_SPEC.faces,
          holds: GYM_SPEC.faces * GYM_SPEC.holdsPerFace,
          users: GYM_SPEC.setters,
          climbs: GYM_SPEC.climbs,
        })
        expect(runs.map((run: {status: string}) => run.status)).toEqual(['succeeded'])
        expect(readFileSync(path).equals(before)).toBe(true)
      } finally {
        folder.dispose()
      }
    },
  )

  it('SQLite in a directory that does not exist: exit 1 naming the file, nothing fetched, nothing created', async () => {
    const missingDir = join(scratch, 'no', 'such', 'dir')
    const path = join(missingDir, 'mastoc.db')
    const requestsBefore = server.requests.length

    const result = await importInto(path)

    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout).error.exitCode).toBe(1)
    expect(result.stderr).toBe(
      `Error: cannot use the database sqlite:${path}: Cannot open database because the directory does not exist; ` +
        `the folder ${missingDir} does not exist: create it (mkdir -p ${missingDir}) or give --database (DATABASE_URL) another path\n`,
    )
    expect(server.requests.length).toBe(requestsBefore)
    expect(existsSync(join(scratch, 'no'))).toBe(false)
  })

  it.each([
    ['import all', ['import', 'all']],
    ['db migrate', ['db', 'migrate']],
    ['status', ['status']],
  ])('a mistyped PostgreSQL URL: %s exits 2 naming it with its password masked; no file of that name is made', async (_, command) => {
    const url = `postgress://mastoc:${DB_PASSWORD}@127.0.0.1:5432/mastoc`
    const requestsBefore = server.requests.length

    const result = await runCli(
      [...command, '--database', url],
      {MASTOC_GYM: gym.gymId, STOKT_URL: server.url, STOKT_USERNAME: DEFAULT_USERNAME, STOKT_PASSWORD: DEFAULT_PASSWORD},
      {cwd: scratch},
    )

    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(
      '--database: postgress://mastoc:***@127.0.0.1:5432/mastoc is not one: expected a postgres:// URL or a SQLite file path',
    )
    expect(result.stderr).not.toContain(DB_PASSWORD)
    expect(server.requests.length).toBe(requestsBefore)
    expect(existsSync(join(scratch, 'postgress:'))).toBe(false)
  })

  it('a PostgreSQL URL whose password holds a raw "#": exit 2 saying to percent-encode it, no piece of the password shown (pg would name one as the host)', async () => {
    const url = `postgres://mastoc:${DB_PASSWORD}#9@127.0.0.1:5432/mastoc`
    const result = await runCli(['status', '--database', url], {}, {cwd: scratch})

    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(
      `--database: postgres://mastoc:***@127.0.0.1:5432/mastoc: its password holds a raw '#', which ends a URL's host part: write it percent-encoded (%23)`,
    )
    expect(result.stderr).not.toContain(DB_PASSWORD)
    expect(result.stderr).not.toContain('#9')
  })

  it.skipIf(unavailable('postgres'))(
    'a PostgreSQL URL with a password and an "@" in its query string (application_name=mastoc@cron) is used as it is',
    async () => {
      const database = await databases.fresh()
      const url = new URL(database.url)
      url.username = 'postgres'
      url.password = DB_PASSWORD // trust auth here: any password will do
      const withQuery = `${url.toString()}?application_name=mastoc@cron`

      const result = await runCli(['db', 'migrate', '--database', withQuery], {}, {cwd: scratch})

      expect(result.stderr).toBe('')
      expect(result.code).toBe(0)
      expect(await database.knex().schema.hasTable('import_runs')).toBe(true)
      // Named by its host and database, the password masked (not as 'postgres://postgres:***@cron').
      expect(result.stdout).toContain(`postgres://postgres:***@${url.host}${url.pathname}?application_name=mastoc@cron: applied`)
      expect(result.stdout).not.toContain(DB_PASSWORD)
    },
  )

  describe.each(DATABASE_KINDS)('on %s', (kind) => {
    it.skipIf(unavailable(kind))(
      'the database refusing to record the run: exit 1 in one line naming why, without the statement; nothing fetched',
      async () => {
        const database = await createTestDatabase(kind)
        try {
          const knex = database.knex()
          await migrateToLatest(knex)
          // A server's trigger (or a full disk, a lock held too long) refuses the run's first row.
          if (kind === 'sqlite') {
            await knex.raw(
              "create trigger no_runs before insert on import_runs begin select raise(abort, 'no imports during maintenance'); end",
            )
          } else {
            await knex.raw(
              "create function no_runs() returns trigger language plpgsql as $$ begin raise exception 'no imports during maintenance'; end $$",
            )
            await knex.raw('create trigger no_runs before insert on import_runs for each row execute function no_runs()')
          }
          const requestsBefore = server.requests.length

          const result = await importInto(database.url)

          expect(result.code).toBe(1)
          expect(JSON.parse(result.stdout).error.exitCode).toBe(1)
          expect(result.stderr).toMatch(/^Error: cannot record the run in the database .*: no imports during maintenance.*\n$/)
          expect(result.stderr).not.toContain('insert into')
          expect(server.requests.length).toBe(requestsBefore)
        } finally {
          await database.drop()
        }
      },
    )
  })

  it('SQLite on a file that is not a database: exit 1 naming the file, which is left as it was', async () => {
    const path = join(scratch, 'notes.txt')
    const content = 'not a database\n'.repeat(200)
    writeFileSync(path, content)
    const requestsBefore = server.requests.length

    const result = await importInto(`sqlite:${path}`)

    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout).error.exitCode).toBe(1)
    expect(result.stderr).toMatch(new RegExp(`^Error: cannot use the database sqlite:${escapeRegExp(path)}: file is not a database.*\\n$`))
    expect(server.requests.length).toBe(requestsBefore)
    expect(readFileSync(path, 'utf8')).toBe(content)
  })
})

function withPassword(url: string, password: string): string {
  const parsed = new URL(url)
  parsed.password = password
  // URL encodes '*'; the CLI shows the mask as typed.
  return parsed.toString().replace('%2A%2A%2A', '***')
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
