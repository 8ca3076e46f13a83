/** What every resource's schema is made of: ids, counts, instants, text, decimals, and reading a record. */
import {z} from 'zod'

import {invalidInstantReason, toCanonicalInstant} from '../../common/instant.js'

const DECIMAL = /^\s*-?\d+(\.\d+)?\s*$/
const DECIMAL_EXPECTED = 'expected a decimal such as "2226.00"'
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** A Stokt UUID id, kept as received. */
export const stoktUuid = z.string({error: 'expected a UUID string'}).regex(UUID, {error: 'not a UUID'})

/** A zod check from a function naming the value's problem, if any: cheaper than superRefine, on every field of every record. */
export function problemCheck<T>(problemOf: (value: T) => string | undefined): (payload: z.core.ParsePayload<T>) => void {
  return (payload) => {
    const problem = problemOf(payload.value)
    if (problem !== undefined) payload.issues.push({code: 'custom', message: problem, input: payload.value})
  }
}

/** The largest value of an `integer` column on PostgreSQL; SQLite would store more, and the two would disagree. */
export const INTEGER_COLUMN_MAX = 2_147_483_647
/** Why a value past INTEGER_COLUMN_MAX is refused. */
export const OVER_INTEGER_COLUMN = `is more than ${INTEGER_COLUMN_MAX}, the most the database keeps`

/** A count Stokt keeps (likes, comments…): a whole number, never negative. */
export const stoktCount = z.number({error: 'expected a number'}).check(
  // One check, not .int().nonnegative(): every climb has three counts, and each check is a call.
  problemCheck((count: number) => {
    if (!Number.isInteger(count)) return 'expected a whole number'
    if (count < 0) return 'must not be negative'
    return count > INTEGER_COLUMN_MAX ? OVER_INTEGER_COLUMN : undefined
  }),
)

/** A date-time with an offset, as Stokt sends it; becomes a canonical UTC instant. */
export const stoktInstant = z.string({error: 'expected a date-time string'}).transform((text, ctx) => {
  const instant = toCanonicalInstant(text)
  if (instant === undefined) {
    ctx.addIssue({code: 'custom', message: `'${clip(text)}' ${invalidInstantReason(text)}`})
    return z.NEVER
  }
  return instant
})

/**
 * Any text Stokt sends, refusing what a database cannot store as sent: a NUL (PostgreSQL), a lone
 * surrogate (stored as U+FFFD, a re-run would find it changed). `problemOf`: the field's own rule.
 */
export const stoktText = (error = 'expected a string', problemOf?: (text: string) => string | undefined) =>
  z.string({error}).check(problemCheck((text: string) => unstorable(text) ?? problemOf?.(text)))

function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character, which cannot be stored'
  if (!(text as WellFormedString).isWellFormed()) return 'contains a lone surrogate (not valid Unicode), which cannot be stored'
  return undefined
}

/** String.prototype.isWellFormed: in Node 20, not yet in TypeScript's ES2023 lib. */
type WellFormedString = string & {isWellFormed(): boolean}

/** Optional text: missing, null or a string. The mapping turns missing into null: a transform here costs a pipe a field. */
export const optionalText = stoktText().nullish()

/** A decimal Stokt sends as a string ("2226.00") or a number. */
export const stoktDecimal = z.union([z.number(), z.string()], {error: DECIMAL_EXPECTED}).transform((value, ctx) => {
  if (typeof value === 'number') return value
  if (DECIMAL.test(value)) return finiteNumber(value, ctx)
  ctx.addIssue({code: 'custom', message: DECIMAL_EXPECTED})
  return z.NEVER
})

/** A number read from digits, refused when too many for a double: SQLite and PostgreSQL would store Infinity differently. */
export function finiteNumber(text: string, ctx: z.core.$RefinementCtx): number {
  const value = Number(text)
  if (Number.isFinite(value)) return value
  ctx.addIssue({code: 'custom', message: `${clip(text.trim(), 20)} is too large a number`})
  return z.NEVER
}

export type ParseResult<T> = {ok: true; value: T} | {ok: false; reason: string}

/** How deep a record may nest (Stokt's nest 3 deep): JSON.stringify, downstream, overflows the stack some thousands deep. */
export const MAX_NESTING = 32

/**
 * Validates one record; the reason names each failing field by its path: "crowdGrade.font: expected a string".
 * `validatedApart`: fields holding records validated one by one (a setup's holds), not counted in its nesting.
 */
export function parseRecord<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  validatedApart: readonly string[] = [],
): ParseResult<z.output<S>> {
  const tooDeep = fieldNestedTooDeep(raw, validatedApart)
  if (tooDeep !== undefined) return {ok: false, reason: `${tooDeep}: nested more than ${MAX_NESTING} levels deep`}
  const result = schema.safeParse(raw)
  if (result.success) return {ok: true, value: result.data}
  return {ok: false, reason: describeIssues(result.error.issues, raw)}
}

/** "field.path: problem; …", saying "missing" where the record has no such field at all. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], raw?: unknown): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.join('.') : 'record'
      const value = issue.path.length > 0 ? valueAt(raw, issue.path) : raw
      const absent = issue.code === 'invalid_type' && issue.path.length > 0 && value === undefined
      return `${field}: ${absent ? 'missing' : outOfRange(issue, value) ? OUT_OF_RANGE : issue.message}`
    })
    .join('; ')
}

const OUT_OF_RANGE = 'out of range: too large a number'

/** A number JSON.parse read as ±Infinity (`1e400`), which zod calls not a number: its digits are gone. */
function outOfRange(issue: z.core.$ZodIssue, value: unknown): boolean {
  if (typeof value !== 'number' || Number.isFinite(value) || Number.isNaN(value)) return false
  return issue.code === 'invalid_union' || (issue.code === 'invalid_type' && issue.expected === 'number')
}

/** The top-level field (or "record") under which `raw` nests deeper than MAX_NESTING; walked without recursion. */
function fieldNestedTooDeep(raw: unknown, validatedApart: readonly string[]): string | undefined {
  if (raw === null || typeof raw !== 'object') return undefined
  const values: object[] = []
  const depths: number[] = []
  const fields: string[] = []
  const push = (value: unknown, depth: number, field: string) => {
    if (value === null || typeof value !== 'object') return
    values.push(value)
    depths.push(depth)
    fields.push(field)
  }
  if (Array.isArray(raw)) push(raw, 1, 'record')
  else for (const key in raw) if (!validatedApart.includes(key)) push((raw as Record<string, unknown>)[key], 2, key)
  while (values.length > 0) {
    const value = values.pop()!
    const depth = depths.pop()!
    const field = fields.pop()!
    if (depth > MAX_NESTING) return field
    if (Array.isArray(value)) for (const item of value) push(item, depth + 1, field)
    else for (const key in value) push((value as Record<string, unknown>)[key], depth + 1, field)
  }
  return undefined
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let value = raw
  for (const key of path) {
    if (value === null || typeof value !== 'object') return undefined
    value = (value as Record<PropertyKey, unknown>)[key]
  }
  return value
}

/** The id a record was received with, for rejects, whatever its type; null when absent. */
export function receivedId(raw: unknown): string | null {
  if (raw === null || typeof raw !== 'object' || !('id' in raw)) return null
  const {id} = raw as {id: unknown}
  if (id === undefined || id === null) return null
  return typeof id === 'string' ? id : JSON.stringify(id)
}

export function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text
}
