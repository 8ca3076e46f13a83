/**
 * Instants are kept as one canonical text form, `YYYY-MM-DDTHH:MM:SS.ffffffZ` (UTC, microseconds),
 * because Stokt sends microseconds that a JS Date would drop, SQLite has no timestamp type, and
 * comparing a fresh value with a stored one must be exact for a re-run to write nothing.
 */
const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)$/i

/** The canonical UTC form of an ISO-8601 / PostgreSQL timestamp with an offset; undefined if it is not one. */
export function toCanonicalInstant(text: string): string | undefined {
  const match = INSTANT.exec(text.trim())
  if (!match) return undefined
  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fraction = '', offset] = match
  const year = Number(yearText)
  const month = Number(monthText)
  const day = Number(dayText)
  const hour = Number(hourText)
  const minute = Number(minuteText)
  const second = Number(secondText)
  // Checked field by field: Date.UTC would roll 2025-02-30 over into March.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    return undefined
  }
  const offsetInMinutes = offsetMinutes(offset)
  if (offsetInMinutes === undefined) return undefined
  const utc = new Date(Date.UTC(year, month - 1, day, hour, minute, second) - offsetInMinutes * 60_000)
  return `${utc.toISOString().slice(0, 19)}.${fraction.padEnd(6, '0').slice(0, 6)}Z`
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

/** Minutes east of UTC; undefined for an offset no clock has (hours 00–23, minutes 00–59). */
function offsetMinutes(offset: string): number | undefined {
  if (offset.toUpperCase() === 'Z') return 0
  const sign = offset.startsWith('-') ? -1 : 1
  const digits = offset.slice(1).replace(':', '')
  const hours = Number(digits.slice(0, 2))
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0
  if (hours > 23 || minutes > 59) return undefined
  return sign * (hours * 60 + minutes)
}

/** Now, in the canonical form. */
export function nowInstant(clock: () => Date = () => new Date()): string {
  return `${clock().toISOString().slice(0, 23)}000Z`
}
