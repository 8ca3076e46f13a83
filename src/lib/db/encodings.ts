import {toCanonicalInstant} from '../common/instant.js'
import type {Dialect} from './target.js'
import type {ColumnKind} from './tables.js'

/** Values as the mastoc server reads them: on SQLite, SQLAlchemy finds only UUIDs as 32 hex digits and naive UTC instants. */
export function toDatabaseValue(dialect: Dialect, kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null
  switch (kind) {
    case 'boolean':
      return dialect === 'sqlite' ? (value ? 1 : 0) : Boolean(value)
    case 'json':
      return JSON.stringify(value)
    case 'uuid':
      return dialect === 'sqlite' ? hexUuid(String(value)) : value
    case 'instant':
      return dialect === 'sqlite' ? sqliteInstant(String(value)) : value
    default:
      return value
  }
}

/**
 * `stored`, as the driver returns it, is what writing `value` would store (toDatabaseValue's result),
 * compared without making that form: a re-run compares every column of every row it reads.
 */
export function isStoredForm(dialect: Dialect, kind: ColumnKind, stored: unknown, value: unknown): boolean {
  if (value === null || value === undefined) return stored === null
  if (dialect === 'sqlite' && typeof stored === 'string' && typeof value === 'string') {
    if (kind === 'uuid') return isHexUuidOf(stored, value)
    if (kind === 'instant' && value.length >= 26) return isSqliteInstantOf(stored, value)
  }
  return stored === toDatabaseValue(dialect, kind, value)
}

/** `hex === hexUuid(uuid)`, for an ASCII `uuid`. */
function isHexUuidOf(hex: string, uuid: string): boolean {
  let at = 0
  for (let index = 0; index < uuid.length; index++) {
    let code = uuid.charCodeAt(index)
    if (code === DASH) continue
    if (code > 0x7f) return hex === hexUuid(uuid)
    if (code >= UPPER_A && code <= UPPER_Z) code += 0x20
    if (hex.charCodeAt(at++) !== code) return false
  }
  return at === hex.length
}

/** `stored === sqliteInstant(canonical)`, for a canonical instant of 26 characters or more. */
function isSqliteInstantOf(stored: string, canonical: string): boolean {
  if (stored.length !== 26 || stored.charCodeAt(10) !== SPACE) return false
  for (let index = 0; index < 26; index++) if (index !== 10 && stored.charCodeAt(index) !== canonical.charCodeAt(index)) return false
  return true
}

const DASH = 0x2d
const SPACE = 0x20
const UPPER_A = 0x41
const UPPER_Z = 0x5a
const LOWER_A = 0x61
const LOWER_E = 0x65

/** A stored value back in the canonical form the importer compares. */
export function fromDatabaseValue(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return null
  switch (kind) {
    case 'boolean':
      return Boolean(value)
    case 'json':
      return typeof value === 'string' ? JSON.parse(value) : value
    case 'uuid':
      return dashedUuid(String(value))
    case 'instant':
      return canonicalFromStored(String(value))
    case 'integer':
    case 'real':
      return Number(value)
    default:
      return value
  }
}

/** `0190a5e2-…` → `0190a5e2…`, lower-case: SQLAlchemy's `uuid.hex`. */
export function hexUuid(uuid: string): string {
  return uuid.replaceAll('-', '').toLowerCase()
}

/** Hex SQLite takes for a number in a NUMERIC column (as `UUID` columns are): stored as a rounded REAL, never found again. */
export function isNumericOnSqlite(hex: string): boolean {
  return /^\d+(e\d+)?$/.test(hex)
}

/** isNumericOnSqlite(hexUuid(uuid)), checked for every row: a letter other than e, as nearly every UUID has, settles it without making the hex. */
export function isUuidNumericOnSqlite(uuid: string): boolean {
  for (let index = 0; index < uuid.length; index++) {
    const lowered = uuid.charCodeAt(index) | 0x20
    if (lowered >= LOWER_A && lowered !== LOWER_E) return false
  }
  return isNumericOnSqlite(hexUuid(uuid))
}

/** 32 hex digits (or an already dashed UUID) → the dashed lower-case form. */
export function dashedUuid(text: string): string {
  if (text.length !== 32) return text.toLowerCase()
  const hex = text.toLowerCase()
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** `2025-12-17T15:56:38.491973Z` → `2025-12-17 15:56:38.491973`, as SQLAlchemy stores a DATETIME. */
export function sqliteInstant(canonical: string): string {
  return `${canonical.slice(0, 10)} ${canonical.slice(11, 26)}`
}

/**
 * PostgreSQL's text of a naive `timestamp` (DateStyle ISO, as the session sets it: `2025-12-17 15:56:38.4919`)
 * as the canonical UTC instant, the form the import writes and compares; any other form (a BC date) keeps
 * its text, with `Z`, for canonicalFromStored.
 */
export function instantFromPostgres(text: string): string {
  const length = text.length
  if (length >= 19 && length <= 26 && length !== 20 && text[10] === ' ' && (length === 19 || text[19] === '.')) {
    return `${text.slice(0, 10)}T${text.slice(11, 19)}.${length === 19 ? '000000' : text.slice(20).padEnd(6, '0')}Z`
  }
  return `${text}Z`
}

/** A stored instant in the canonical form: a naive one is UTC; one with an offset (`timestamptz`) is converted. */
export function canonicalFromStored(text: string): string {
  // The bulk of a re-run's comparisons: PostgreSQL's, already canonical (instantFromPostgres); SQLite's
  // `YYYY-MM-DD HH:MM:SS.ffffff`; either with `Z`.
  if (text.length === 27 && text[10] === 'T' && text[19] === '.' && text[26] === 'Z' && SIX_DIGITS.test(text.slice(20, 26))) return text
  const naiveOrZ = text.length === 26 || (text.length === 27 && text[26] === 'Z')
  if (naiveOrZ && text[10] === ' ' && text[19] === '.' && SIX_DIGITS.test(text.slice(20, 26))) {
    return `${text.slice(0, 10)}T${text.slice(11, 26)}Z`
  }
  const naive = NAIVE_INSTANT.test(text)
  return toCanonicalInstant(naive ? `${text}Z` : text) ?? text
}

const SIX_DIGITS = /^\d{6}$/
const NAIVE_INSTANT = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?$/
