import {UsageError} from '../common/usageError.js'

/** Which database a run writes to, parsed from `--database` / `DATABASE_URL`, and how it is shown. */
export type Dialect = 'sqlite' | 'postgres'

/** The dialect of a knex instance (or transaction) opened on a target. */
export function dialectOf(knex: {client: {config: {client?: unknown}}}): Dialect {
  return knex.client.config.client === 'pg' ? 'postgres' : 'sqlite'
}

export interface DatabaseTarget {
  dialect: Dialect
  /** A postgres URL, or a SQLite file path (':memory:' allowed). */
  location: string
  /** The target with any password masked, for every message. */
  display: string
}

/** `postgres://…` → PostgreSQL; a path → SQLite; a mistyped URL, a UsageError (its password masked), never a file of that name. */
export function parseDatabaseTarget(value: string): DatabaseTarget {
  const trimmed = value.trim()
  if (/^postgres(ql)?:\/\//i.test(trimmed)) {
    const display = maskUrlPassword(trimmed)
    const broken = passwordBreakingUrl(trimmed)
    if (broken) {
      throw new UsageError(
        `--database: ${display}: its password holds a raw '${broken}', which ends a URL's host part: write it percent-encoded (${encodeURIComponent(broken)})`,
      )
    }
    return {dialect: 'postgres', location: trimmed, display}
  }
  const explicitSqlite = /^sqlite:/i.test(trimmed)
  const path = trimmed.replace(/^sqlite:(\/\/)?/i, '')
  if (path === '') throw new UsageError(`--database: ${DATABASE_EXPECTED}`)
  if (!explicitSqlite && looksLikeUrl(path)) {
    throw new UsageError(
      `--database: ${maskUrlPassword(path)} is not one: ${DATABASE_EXPECTED} (for a file whose name has a colon: sqlite:NAME)`,
    )
  }
  return {dialect: 'sqlite', location: path, display: `sqlite:${path}`}
}

const DATABASE_EXPECTED = 'expected a postgres:// URL or a SQLite file path'

/** A scheme (`mysql:`, `postgress:`; not a drive letter, `C:\`), or credentials before an `@`. */
function looksLikeUrl(path: string): boolean {
  return /^[a-z][a-z0-9+.-]+:/i.test(path) || /^[^/@]*:[^/]*@/.test(path)
}

/** A '/', '?' or '#' raw in a URL's password, which pg would take for the host part's end (showing the rest in errors). */
function passwordBreakingUrl(url: string): string | undefined {
  const rest = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '')
  const hostPartEnd = rest.search(/[/?#]/)
  if (hostPartEnd < 0 || credentialsEnd(rest) < hostPartEnd) return undefined
  const hostPart = rest.slice(0, hostPartEnd)
  if (/^([^@:[\]]*|\[[^\]]*\])(:\d*)?$/.test(hostPart)) return undefined
  return rest[hostPartEnd]
}

/** Where a URL's credentials end: at its last '@', as pg reads them, unless the later ones are in the query of a URL with a path. */
function credentialsEnd(rest: string): number {
  const hostPartEnd = rest.search(/[/?#]/)
  const inHostPart = hostPartEnd > 0 ? rest.lastIndexOf('@', hostPartEnd) : -1
  if (inHostPart >= 0 && /^\/[^?#@]*(\?[^#]*)?$/.test(rest.slice(hostPartEnd))) return inHostPart
  return rest.lastIndexOf('@')
}

/** The file a SQLite target lives in; undefined for PostgreSQL and for an in-memory database. */
export function sqliteFilePath(target: DatabaseTarget): string | undefined {
  return target.dialect === 'sqlite' && target.location !== ':memory:' && target.location !== '' ? target.location : undefined
}

/** The URL with its password masked, however written: in the credentials, and `?password=` in the query. */
export function maskUrlPassword(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? ''
  let rest = url.slice(scheme.length)
  const lastAt = credentialsEnd(rest)
  if (lastAt >= 0) {
    const userinfo = rest.slice(0, lastAt)
    const colon = userinfo.indexOf(':')
    if (colon >= 0) rest = `${userinfo.slice(0, colon)}:***${rest.slice(lastAt)}`
  }
  return scheme + rest.replace(/([?&]password=)[^&#]*/gi, '$1***')
}
