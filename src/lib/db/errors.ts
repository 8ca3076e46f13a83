import {dirname} from 'node:path'

import type {DatabaseTarget} from './target.js'

/** Database errors told apart: a record refused costs only that record; anything else (connection, disk) fails the run. */
export function isRecordLevelError(error: unknown): boolean {
  const code = (error as {code?: unknown})?.code
  if (typeof code !== 'string') return false
  // PostgreSQL: 22xxx data exceptions, 23xxx integrity constraint violations.
  if (/^2[23][0-9A-Z]{3}$/.test(code)) return true
  return code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG'
}

/** PostgreSQL gave up the transaction (deadlock: two gyms' imports sharing setters): done again, it goes through. */
export function isTransientConflict(error: unknown): boolean {
  const code = (error as {code?: unknown})?.code
  return code === '40P01' || code === '40001'
}

/** A row that exists already, by its unique Stokt id: another run (sharing a setter) wrote it since the lookup. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as {code?: unknown})?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE'
}

/** A database error in a sentence: without the SQL knex prepends; `sessionEnded`: why, when pg's words do not say. */
export function describeDatabaseError(error: unknown, sessionEnded?: Error, target?: DatabaseTarget): string {
  const text = describeOne(error)
  if (!PG_CONNECTION_LOST.some((words) => text.startsWith(words))) {
    const hint = target && whatToCheck(error, target)
    return hint ? `${text}; ${hint}` : text
  }
  return `the connection to the database was lost: ${sessionEnded ? describeOne(sessionEnded) : text}`
}

/** For a database that cannot be opened at all: what to check or do next, with the command for it. */
function whatToCheck(error: unknown, target: DatabaseTarget): string | undefined {
  const code = (error as {code?: unknown})?.code
  const message = error instanceof Error ? error.message : ''
  if (target.dialect === 'sqlite') {
    if (!message.includes('directory does not exist')) return undefined
    const folder = shellWord(dirname(target.location))
    return `the folder ${folder} does not exist: create it (mkdir -p ${folder}) or give --database (DATABASE_URL) another path`
  }
  const server = postgresServer(target.location)
  if (server === undefined) return undefined
  const where = `-h ${shellWord(server.host)} -p ${server.port}`
  if (code === 'ECONNREFUSED') return `is PostgreSQL running on ${server.host} port ${server.port}? Check with: pg_isready ${where}`
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `no host ${server.host} was found: check the host in --database (DATABASE_URL)`
  if (code === '3D000') {
    const owner = server.user ? ` -U ${shellWord(server.user)}` : ''
    return `create it first: createdb ${where}${owner} ${shellWord(server.database)}`
  }
  return undefined
}

/** Where a postgres:// URL points, as pg reads it (a `host` parameter wins; a socket directory is a host too). */
function postgresServer(location: string): {host: string; port: number; user: string; database: string} | undefined {
  try {
    const url = new URL(location)
    const host = url.searchParams.get('host') ?? (decodeURIComponent(url.hostname).replace(/^\[|\]$/g, '') || 'localhost')
    const user = decodeURIComponent(url.username)
    const database = decodeURIComponent(url.pathname.slice(1)) || user || 'postgres'
    return {host, port: Number(url.searchParams.get('port') ?? url.port) || 5432, user, database}
  } catch {
    return undefined
  }
}

/** As typed into a shell. */
function shellWord(word: string): string {
  return /^[\w./:@%+=-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`
}

const PG_CONNECTION_LOST = ['Connection terminated unexpectedly', 'Client has encountered a connection error and is not queryable']

function describeOne(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const separator = message.lastIndexOf(' - ')
  const core = (separator >= 0 ? message.slice(separator + 3) : message).trim()
  // pg's words when the server asks for a password (SCRAM, PostgreSQL's default) and none was given.
  if (core.includes('client password must be a string'))
    return 'the server asks for a password and none was given (in the URL, PGPASSWORD or ~/.pgpass)'
  const code = (error as {code?: unknown})?.code
  const text = typeof code === 'string' && !core.includes(code) ? `${core} (${code})` : core
  return text.length > 300 ? `${text.slice(0, 300)}…` : text
}
