import {describe, expect, it} from 'vitest'

import {maskUrlPassword, parseDatabaseTarget} from '../../../src/lib/db/target.js'
import {describeDatabaseError, isRecordLevelError} from '../../../src/lib/db/errors.js'

describe('parseDatabaseTarget', () => {
  it.each(['postgres', 'postgresql', 'POSTGRES'])('reads a %s:// URL as PostgreSQL, kept whole to connect with', (scheme) => {
    const url = `${scheme}://mastoc:Tr0ub4dor@db.example.net:5432/mastoc?sslmode=require`
    const target = parseDatabaseTarget(url)
    expect(target.dialect).toBe('postgres')
    expect(target.location).toBe(url)
  })

  it('masks the password in the display, keeping the rest', () => {
    const target = parseDatabaseTarget('postgres://mastoc:Tr0ub4dor@db.example.net:5432/mastoc')
    expect(target.display).toBe('postgres://mastoc:***@db.example.net:5432/mastoc')
  })

  it.each([
    ['a plain password', 'postgresql://mastoc:Tr0ub4dor@localhost/mastoc', 'Tr0ub4dor'],
    ['a password with a colon', 'postgres://mastoc:se:cr:et@localhost/mastoc', 'se:cr:et'],
    ['a percent-encoded password', 'postgres://mastoc:p%40ss%2Fw0rd@localhost:5433/mastoc', 'p%40ss%2Fw0rd'],
    ['a password without a user name', 'postgres://:Tr0ub4dor@localhost/mastoc', 'Tr0ub4dor'],
    ['a password and no path', 'postgres://mastoc:Tr0ub4dor@localhost', 'Tr0ub4dor'],
    ['a password with symbols', "postgres://mastoc:a!$&'()*+,;=~b@localhost/mastoc", "a!$&'()*+,;=~b"],
  ])('never shows %s', (_, url, password) => {
    const {display} = parseDatabaseTarget(url)
    expect(display).not.toContain(password)
    expect(display).toContain('***')
  })

  it('leaves a URL without a password as it is', () => {
    expect(parseDatabaseTarget('postgres://mastoc@localhost:5432/mastoc').display).toBe('postgres://mastoc@localhost:5432/mastoc')
    expect(parseDatabaseTarget('postgres://localhost/mastoc').display).toBe('postgres://localhost/mastoc')
  })

  it('never shows a password that contains a raw "@"', () => {
    const {display} = parseDatabaseTarget('postgres://mastoc:p@ssw0rd@localhost/mastoc')
    expect(display).not.toContain('ssw0rd')
  })

  it('never shows a password given as a query parameter', () => {
    const {display} = parseDatabaseTarget('postgres://mastoc@localhost/mastoc?password=Tr0ub4dor')
    expect(display).not.toContain('Tr0ub4dor')
  })

  it.each([
    ['postgres://mastoc:Tr0#b4dor@db.example.net:5432/mastoc', '#', '%23'],
    ['postgres://mastoc:Tr0/b4dor@db.example.net/mastoc', '/', '%2F'],
    ['postgresql://mastoc:Tr0?b4dor@db.example.net/mastoc', '?', '%3F'],
    ['postgres://mastoc:p@ss#b4dor@db.example.net/mastoc', '#', '%23'],
  ])(
    'refuses %s, whose password holds a raw %s that would end its host part, naming the fix and never the password',
    (url, character, encoded) => {
      let message = ''
      try {
        parseDatabaseTarget(url)
      } catch (error) {
        message = (error as Error).message
      }
      expect(message).toContain(
        `its password holds a raw '${character}', which ends a URL's host part: write it percent-encoded (${encoded})`,
      )
      expect(message).not.toMatch(/b4dor|Tr0|ss#/)
    },
  )

  it.each([
    'postgres://mastoc:Tr0%23b4dor@db.example.net:5432/mastoc',
    'postgres://db.example.net:5432/mastoc?application_name=ops@example',
    'postgres://[::1]:5432/mastoc?application_name=ops@example',
    'postgres:///mastoc?host=/var/run/postgresql&password=p@ss',
    'postgres://mastoc:Tr0ub4dor@db.example.net/mastoc?application_name=mastoc@cron',
  ])('takes %s as it is (no raw character in a password ends its host part)', (url) => {
    expect(parseDatabaseTarget(url).location).toBe(url)
  })

  it.each([
    ['sqlite:./mastoc.db', './mastoc.db'],
    ['sqlite:mastoc.db', 'mastoc.db'],
    ['sqlite:///var/lib/mastoc/mastoc.db', '/var/lib/mastoc/mastoc.db'],
    ['SQLITE:/tmp/gym.db', '/tmp/gym.db'],
    ['sqlite::memory:', ':memory:'],
  ])('reads %s as the SQLite file %s', (value, path) => {
    const target = parseDatabaseTarget(value)
    expect(target).toEqual({dialect: 'sqlite', location: path, display: `sqlite:${path}`})
  })

  it.each(['./mastoc.db', 'mastoc.db', '/var/lib/mastoc/mastoc.db', 'data/my gym.sqlite', 'C:\\mastoc\\mastoc.db', ':memory:'])(
    'reads the plain path %s as a SQLite file',
    (path) => {
      const target = parseDatabaseTarget(path)
      expect(target.dialect).toBe('sqlite')
      expect(target.location).toBe(path)
      expect(target.display).toContain(path)
    },
  )

  it('ignores surrounding whitespace', () => {
    expect(parseDatabaseTarget('  ./mastoc.db \n').location).toBe('./mastoc.db')
    expect(parseDatabaseTarget(' postgres://localhost/mastoc ').location).toBe('postgres://localhost/mastoc')
  })

  it('does not take a file named like postgres for a URL', () => {
    expect(parseDatabaseTarget('postgres.db').dialect).toBe('sqlite')
    expect(parseDatabaseTarget('./postgres://x').dialect).toBe('sqlite')
  })

  it.each([
    ['a misspelt scheme', 'postgress://mastoc:Tr0ub4dor@127.0.0.1:5432/mastoc'],
    ['another database', 'mysql://mastoc:Tr0ub4dor@db.example.net/mastoc'],
    ['a scheme of its own', 'pg://mastoc:Tr0ub4dor@db.example.net/mastoc'],
    ['a scheme with one slash', 'postgres:/mastoc:Tr0ub4dor@db.example.net/mastoc'],
    ['credentials and a host, no scheme', 'mastoc:Tr0ub4dor@localhost'],
  ])('refuses %s, taken for a file name before, without showing its password', (_, value) => {
    expect(() => parseDatabaseTarget(value)).toThrow(/^--database: .* is not one: expected a postgres:\/\/ URL or a SQLite file path/)
    expect(() => parseDatabaseTarget(value)).not.toThrow(/Tr0ub4dor/)
  })

  it('still takes a name with a colon as a file when it says sqlite:', () => {
    expect(parseDatabaseTarget('sqlite:mastoc:2026.db')).toEqual({
      dialect: 'sqlite',
      location: 'mastoc:2026.db',
      display: 'sqlite:mastoc:2026.db',
    })
  })

  it.each(['', '   ', 'sqlite:', 'sqlite://'])('rejects %j with a message naming --database', (value) => {
    expect(() => parseDatabaseTarget(value)).toThrow(/--database/)
  })
})

describe('maskUrlPassword', () => {
  it('masks only the password', () => {
    expect(maskUrlPassword('postgresql://alice:s3cret@db:5432/gym?application_name=mastoc')).toBe(
      'postgresql://alice:***@db:5432/gym?application_name=mastoc',
    )
  })

  it('does not mistake a port for a password', () => {
    expect(maskUrlPassword('postgres://db.example.net:5432/mastoc')).toBe('postgres://db.example.net:5432/mastoc')
  })
})

describe('database errors', () => {
  const withCode = (message: string, code?: string) => Object.assign(new Error(message), code === undefined ? {} : {code})

  it.each([
    ['a PostgreSQL unique violation', '23505'],
    ['a PostgreSQL foreign key violation', '23503'],
    ['a PostgreSQL value too long', '22001'],
    ['a PostgreSQL invalid timestamp', '22007'],
    ['a SQLite unique violation', 'SQLITE_CONSTRAINT_UNIQUE'],
    ['a SQLite foreign key violation', 'SQLITE_CONSTRAINT_FOREIGNKEY'],
    ['a SQLite type mismatch', 'SQLITE_MISMATCH'],
  ])('costs only the record: %s', (_, code) => {
    expect(isRecordLevelError(withCode('refused', code))).toBe(true)
  })

  it.each([
    ['a lost PostgreSQL connection', '08006'],
    ['a PostgreSQL disk full', '53100'],
    ['a PostgreSQL read-only transaction', '25006'],
    ['a PostgreSQL serialization failure', '40001'],
    ['a busy SQLite database', 'SQLITE_BUSY'],
    ['a read-only SQLite database', 'SQLITE_READONLY'],
    ['a full SQLite disk', 'SQLITE_FULL'],
    ['a refused connection', 'ECONNREFUSED'],
    ['no code at all', undefined],
  ])('fails the run: %s', (_, code) => {
    expect(isRecordLevelError(withCode('failed', code))).toBe(false)
  })

  it.each([null, undefined, 'text', 42])('does not treat %j as a record-level error', (value) => {
    expect(isRecordLevelError(value)).toBe(false)
  })

  it("keeps only the driver's message, not knex's SQL with every value inlined", () => {
    const error = withCode(
      'insert into "users" ("avatar_path", "full_name") values (NULL, \'Noémie T. secret-value\') - duplicate key value violates unique constraint "users_stokt_id_unique"',
      '23505',
    )
    const text = describeDatabaseError(error)
    expect(text).toBe('duplicate key value violates unique constraint "users_stokt_id_unique" (23505)')
    expect(text).not.toContain('secret-value')
  })

  it('does not repeat a code the message already carries', () => {
    expect(describeDatabaseError(withCode('UNIQUE constraint failed: users.stokt_id', 'SQLITE_CONSTRAINT_UNIQUE'))).toBe(
      'UNIQUE constraint failed: users.stokt_id (SQLITE_CONSTRAINT_UNIQUE)',
    )
    expect(describeDatabaseError(withCode('SQLITE_BUSY: database is locked', 'SQLITE_BUSY'))).toBe('SQLITE_BUSY: database is locked')
  })

  it('caps a very long message', () => {
    expect(describeDatabaseError(new Error('x'.repeat(1000))).length).toBeLessThanOrEqual(301)
  })

  it("says a connection was lost, with why when the server said it, for pg's words that do not", () => {
    const lost = new Error('Client has encountered a connection error and is not queryable')
    expect(describeDatabaseError(lost)).toBe(
      'the connection to the database was lost: Client has encountered a connection error and is not queryable',
    )
    expect(
      describeDatabaseError(
        new Error('Connection terminated unexpectedly'),
        withCode('terminating connection due to administrator command', '57P01'),
      ),
    ).toBe('the connection to the database was lost: terminating connection due to administrator command (57P01)')
    // Any other error is its own reason.
    expect(
      describeDatabaseError(withCode('permission denied for table climbs', '42501'), withCode('terminating connection', '57P01')),
    ).toBe('permission denied for table climbs (42501)')
  })

  it('describes a thrown non-error', () => {
    expect(describeDatabaseError('connection reset')).toBe('connection reset')
  })
})

describe('describeDatabaseError, for a database that cannot be opened: what to check next', () => {
  const error = (message: string, code: string) => Object.assign(new Error(message), {code})

  it.each([
    [
      'postgres://mastoc:pw@db.example.net/mastoc',
      'is PostgreSQL running on db.example.net port 5432? Check with: pg_isready -h db.example.net -p 5432',
    ],
    ['postgres://mastoc@[::1]:5433/mastoc', 'is PostgreSQL running on ::1 port 5433? Check with: pg_isready -h ::1 -p 5433'],
    [
      'postgres:///mastoc?host=/var/run/postgresql',
      'is PostgreSQL running on /var/run/postgresql port 5432? Check with: pg_isready -h /var/run/postgresql -p 5432',
    ],
  ])('a refused connection to %s names host and port, and pg_isready', (url, hint) => {
    const text = describeDatabaseError(error('connect ECONNREFUSED', 'ECONNREFUSED'), undefined, parseDatabaseTarget(url))
    expect(text).toBe(`connect ECONNREFUSED; ${hint}`)
    expect(text).not.toContain('pw')
  })

  it('a missing PostgreSQL database: the createdb line, with its user and no password', () => {
    const target = parseDatabaseTarget('postgres://ops%20user:s3cret@db.example.net:6432/gym%20data')
    expect(describeDatabaseError(error('database "gym data" does not exist', '3D000'), undefined, target)).toBe(
      `database "gym data" does not exist (3D000); create it first: createdb -h db.example.net -p 6432 -U 'ops user' 'gym data'`,
    )
  })

  it("a SQLite file's missing folder: the mkdir line", () => {
    const target = parseDatabaseTarget('/srv/mastoc/data/mastoc.db')
    expect(describeDatabaseError(new TypeError('Cannot open database because the directory does not exist'), undefined, target)).toBe(
      'Cannot open database because the directory does not exist; the folder /srv/mastoc/data does not exist: create it (mkdir -p /srv/mastoc/data) or give --database (DATABASE_URL) another path',
    )
  })

  it('adds nothing to other failures', () => {
    const target = parseDatabaseTarget('postgres://mastoc@db.example.net/mastoc')
    expect(describeDatabaseError(error('permission denied for table climbs', '42501'), undefined, target)).toBe(
      'permission denied for table climbs (42501)',
    )
  })
})
