import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {ServerResponse} from 'node:http'

import type {Knex} from 'knex'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {type CliResult} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {createTestDatabase, DATABASE_KINDS, unavailable, type TestDatabase} from '../support/databases.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {DEFAULT_TOKEN, DEFAULT_USERNAME, sendJson, startStoktServer, type StoktServer} from '../support/stoktServer.js'

/**
 * Secrets never leave the process: the Stokt password, the token login returns and the database
 * password appear in no output (stdout, stderr), no file the CLI writes (rejects, snapshot) and no
 * row of the database (the run history above all), whether the run succeeds, fails, rejects
 * records, saves a snapshot or only looks (--dry-run, mastoc status). The servers below even echo
 * the credentials back in their error bodies.
 */

const GYM_SPEC = {seed: 53, faces: 2, holdsPerFace: 20, climbs: 40, setters: 5}
const PAGE_SIZE = 10
/** With what URL and JSON encodings change: a space, a plus, a slash, a quote, an accent. */
const STOKT_PASSWORD = 'stokt Pa55+w0rd/"Zq81é'
const DB_PASSWORD = 'db-secret-123'
const SECRETS = [STOKT_PASSWORD, DEFAULT_TOKEN, DB_PASSWORD]

describe.each(DATABASE_KINDS)('secrets, on %s', (kind) => {
  const skip = unavailable(kind)
  let gym: GeneratedGym
  let database: TestDatabase
  /** What --database / DATABASE_URL is given: on PostgreSQL, with a password (trust auth takes any). */
  let databaseUrl: string
  let scratch: string
  const servers: StoktServer[] = []
  /** Every output of every run, checked at the end and by each test. */
  const outputs: {what: string; text: string}[] = []

  beforeAll(async () => {
    if (skip) return
    gym = generateGym(GYM_SPEC)
    database = await createTestDatabase(kind)
    databaseUrl = kind === 'postgres' ? withPassword(database.url, DB_PASSWORD) : database.url
    scratch = mkdtempSync(join(tmpdir(), 'mastoc-secrets-'))
  })
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()))
    await database?.drop()
    if (scratch) rmSync(scratch, {recursive: true, force: true})
  })

  /** A Stokt server for `served`, logging in with the secret password; `fault` may answer instead. */
  const serve = async (served: GeneratedGym, fault?: (path: string, page: string | null) => boolean) => {
    const server = await startStoktServer({
      gym: served,
      pageSize: PAGE_SIZE,
      password: STOKT_PASSWORD,
      intercept: (req, res) => {
        if (!fault?.(req.path, req.query.get('page'))) return false
        // A careless server: the error body echoes what it was sent, credentials included.
        sendJson(res, 500, {detail: `boom; body ${req.body}; authorization ${req.headers.authorization ?? 'none'}`})
        return true
      },
    })
    servers.push(server)
    return server
  }

  const mastoc = async (what: string, args: string[], server?: StoktServer): Promise<CliResult> => {
    const env: Record<string, string> = {DATABASE_URL: databaseUrl}
    if (server) Object.assign(env, {STOKT_URL: server.url, MASTOC_GYM: gym.gymId, STOKT_USERNAME: DEFAULT_USERNAME, STOKT_PASSWORD})
    const result = await runCommand(args, env)
    outputs.push({what: `${what} (stdout)`, text: result.stdout}, {what: `${what} (stderr)`, text: result.stderr})
    return result
  }

  it.skipIf(skip)('a successful import, with plain progress lines and with --json', async () => {
    const server = await serve(gym)
    const plain = await mastoc('import all', ['import', 'all'], server)
    expect(plain.stderr).toContain('Reading gym')
    expect(plain.code).toBe(0)
    const json = await mastoc('import all --json', ['import', 'all', '--json'], server)
    expect(json.code).toBe(0)
    // The credentials were used: a login, then the token on every call.
    expect(server.requests.filter((req) => req.path === '/api/token-auth')).toHaveLength(2)
    expect(server.requests.filter((req) => req.headers.authorization === `Token ${DEFAULT_TOKEN}`).length).toBeGreaterThan(10)
    expectNoSecret(outputs)
  })

  it.skipIf(skip)(
    'a Stokt URL carrying a user name and password: refused (exit 2), the password masked, nothing asked of Stokt',
    async () => {
      const server = await serve(gym)
      const withCredentials = new URL(server.url)
      withCredentials.username = DEFAULT_USERNAME
      withCredentials.password = STOKT_PASSWORD
      const result = await mastoc(
        'import all, credentials in the Stokt URL',
        ['import', 'all', '--stokt-url', withCredentials.href],
        server,
      )
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(`--stokt-url: http://${encodeURIComponent(DEFAULT_USERNAME)}:***@`)
      expect(result.stderr).toContain('carries a user name or password; give them as --username and --password')
      expect(server.requests).toEqual([])
      expectNoSecret(outputs)
    },
  )

  it.skipIf(skip)('failing imports: Stokt answering 500 for ever (--retries 0), at the login and at a climbs page', async () => {
    const atLogin = await serve(gym, (path) => path === '/api/token-auth')
    const loginFailed = await mastoc('import all, login failing', ['import', 'all', '--retries', '0'], atLogin)
    expect(loginFailed.code).toBe(1)
    expect(loginFailed.stderr).toContain('Error: ')

    const atPage = await serve(gym, (path, page) => path.endsWith('/climbs') && page === '2')
    const pageFailed = await mastoc('import all, page 2 failing', ['import', 'all', '--retries', '0', '--json'], atPage)
    expect(pageFailed.code).toBe(1)
    expect(pageFailed.stderr).toContain('climbs page 2')
    expectNoSecret(outputs)
  })

  it.skipIf(skip)(
    'Stokt echoing the password in the login form as sent, the token in a redirect, a Content-Type, an error body cut mid-token',
    async () => {
      const token = encodeURIComponent(DEFAULT_TOKEN)
      const echoes: {what: string; path?: string; answer: (res: ServerResponse, body: string) => void; says: string}[] = [
        {
          what: 'the login form as sent (form-encoded)',
          path: '/api/token-auth',
          answer: (res, body) => sendJson(res, 403, {detail: `refused: ${body}`}),
          says: `failed: HTTP 403 (refused: username=${encodeURIComponent(DEFAULT_USERNAME)}&password=***)`,
        },
        {
          what: 'a redirect',
          answer: (res) => {
            res.writeHead(302, {Location: `https://login.example.com/?via=Token%20${token}&back=1`, 'Content-Length': '0'})
            res.end()
          },
          says: 'a redirect to https://login.example.com/?via=Token%20***&back=1 that the client does not follow',
        },
        {
          what: 'a Content-Type',
          answer: (res) => {
            res.writeHead(200, {'Content-Type': `text/html; token=${DEFAULT_TOKEN}`})
            res.end(`<html>Token ${DEFAULT_TOKEN}</html>`)
          },
          says: "Stokt's answer is not JSON (HTTP 200, text/html; token=***): <html>Token ***</html>",
        },
        {
          what: 'an error body cut mid-token',
          answer: (res) => sendJson(res, 400, {detail: `${'x'.repeat(190)} ${DEFAULT_TOKEN} ${'y'.repeat(50)}`}),
          says: `failed: HTTP 400 (${'x'.repeat(190)} *** ${'y'.repeat(5)}…)`,
        },
        {
          what: 'an error body Stokt cut itself, mid-token',
          answer: (res) => sendJson(res, 400, {detail: `bad token ${DEFAULT_TOKEN.slice(0, 15)}`}),
          says: 'failed: HTTP 400 (bad token ***)',
        },
      ]
      for (const {what, path = '/summary', answer, says} of echoes) {
        const server = await startStoktServer({
          gym,
          pageSize: PAGE_SIZE,
          password: STOKT_PASSWORD,
          intercept: (req, res) => {
            if (!req.path.endsWith(path)) return false
            answer(res, req.body)
            return true
          },
        })
        servers.push(server)
        const result = await mastoc(`import all, Stokt echoing the token in ${what}`, ['import', 'all', '--retries', '0'], server)
        expect(result.code, what).toBe(1)
        expect(result.stderr, what).toContain(says)
      }
      expectNoSecret(outputs)
    },
  )

  it.skipIf(skip)('rejected records, written to --rejects FILE', async () => {
    // The second is rejected with the token in its reason, cut at 20 characters: a prefix of it.
    const echoing = (index: number) => (index === 3 ? 'Q8291' : index === 5 ? `Q${DEFAULT_TOKEN}` : undefined)
    const spoiled = {...gym, climbs: gym.climbs.map((climb, index) => (echoing(index) ? {...climb, holdsList: echoing(index)} : climb))}
    const server = await serve(spoiled)
    const rejectsPath = join(scratch, 'rejects.jsonl')
    const result = await mastoc('import all --rejects', ['import', 'all', '--json', '--rejects', rejectsPath], server)
    expect(result.code).toBe(3)
    const rejects = readFileSync(rejectsPath, 'utf8')
    expect(rejects).toContain(String(gym.climbs[3].id))
    expect(JSON.parse(result.stdout).rejected[1]).toEqual({
      entity: 'climb',
      stoktId: gym.climbs[5].id,
      reason: "holdsList: token 'Q***…' is not S/O/F/T + hold id",
    })
    outputs.push({what: 'the rejects file', text: rejects})
    expectNoSecret(outputs)
  })

  it.skipIf(skip)('a snapshot saved with --save-snapshot DIR, then a --dry-run', async () => {
    const server = await serve(gym)
    const dir = join(scratch, 'snapshot')
    const saved = await mastoc('import all --save-snapshot', ['import', 'all', '--json', '--save-snapshot', dir], server)
    expect(saved.code).toBe(0)
    const files = filesUnder(dir)
    expect(files.length).toBeGreaterThan(2)
    for (const file of files) outputs.push({what: `the snapshot's ${file}`, text: readFileSync(file, 'utf8')})

    const dryRun = await mastoc('import all --dry-run', ['import', 'all', '--dry-run', '--json'], server)
    expect(dryRun.code).toBe(0)
    expectNoSecret(outputs)
  })

  it.skipIf(skip)('mastoc status and db migrate', async () => {
    const json = await mastoc('status --json', ['status', '--json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout).runs.length).toBeGreaterThanOrEqual(7)
    expect((await mastoc('status', ['status'])).code).toBe(0)
    expect((await mastoc('db migrate', ['db', 'migrate'])).code).toBe(0)
    expectNoSecret(outputs)
  })

  it.skipIf(skip)('no row of the database holds a secret: import_runs (every column) and every other table', async () => {
    const db = database.knex()
    const runs = await db('import_runs').select('*')
    expect(new Set(runs.map((run) => run.status))).toEqual(new Set(['succeeded', 'failed', 'partial', 'dry-run']))
    for (const table of await tableNames(db, kind)) {
      const rows = await db(table).select('*')
      outputs.push({what: `table ${table}`, text: JSON.stringify(rows)})
    }
    expect(outputs.some((output) => output.what === 'table import_runs')).toBe(true)
    expectNoSecret(outputs)
  })
})

/**
 * Each secret — as typed, URL-encoded (a space as %20 or +), form-encoded, JSON-escaped — is
 * absent from every text, and so is any piece of 8 characters that begins or ends it.
 */
function expectNoSecret(texts: {what: string; text: string}[]): void {
  for (const {what, text} of texts) {
    for (const secret of SECRETS) {
      const encoded = encodeURIComponent(secret)
      const forms = [
        secret,
        encoded,
        encoded.replace(/%20/g, '+'),
        new URLSearchParams({s: secret}).toString().slice(2),
        JSON.stringify(secret).slice(1, -1),
      ]
      for (const form of new Set(forms.flatMap((form) => [form.slice(0, 8), form.slice(-8)]))) {
        expect(text.includes(form), `${what} shows ${form}:\n${text.slice(0, 2000)}`).toBe(false)
      }
    }
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

async function tableNames(db: Knex, kind: string): Promise<string[]> {
  if (kind === 'sqlite') {
    const rows: {name: string}[] = await db('sqlite_master').where('type', 'table').select('name')
    return rows.map((row) => row.name)
  }
  const {rows} = (await db.raw(`select table_name from information_schema.tables where table_schema = 'public'`)) as {
    rows: {table_name: string}[]
  }
  return rows.map((row) => row.table_name)
}

function withPassword(url: string, password: string): string {
  const parsed = new URL(url)
  parsed.password = password
  return parsed.toString()
}
