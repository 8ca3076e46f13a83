/**
 * Instants as one canonical text, `YYYY-MM-DDTHH:MM:SS.ffffffZ`: a Date drops Stokt's microseconds,
 * SQLite has no timestamp type, and a re-run writes nothing only if comparing is exact.
 */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)$/i

/** The canonical UTC form of an ISO-8601 / PostgreSQL timestamp with an offset; undefined if it is not one. */
export function toCanonicalInstant(text: string): string | undefined {
  const sameDay = stoktFormSameDay(text)
  if (sameDay !== undefined) return sameDay
  const inUtc = UTC_WITH_MICROSECONDS.exec(text)
  if (inUtc) return isValidDateTime(inUtc[1], inUtc[2]) ? `${inUtc[1]}T${inUtc[2]}.${inUtc[3]}Z` : undefined
  const match = INSTANT.exec(text.trim())
  if (!match) return undefined
  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fraction = '', offset] = match
  const year = Number(yearText)
  const month = Number(monthText)
  const day = Number(dayText)
  const hour = Number(hourText)
  const minute = Number(minuteText)
  const second = Number(secondText)
  if (!isValidFields(year, month, day, hour, minute, second)) return undefined
  const offsetInMinutes = offsetMinutes(offset)
  if (offsetInMinutes === undefined) return undefined
  const local = new Date(Date.UTC(2000, month - 1, day, hour, minute, second))
  local.setUTCFullYear(year) // Date.UTC alone reads years 0–99 as 1900–1999
  const utc = new Date(local.getTime() - offsetInMinutes * 60_000)
  if (!inYearRange(utc.getUTCFullYear())) return undefined
  return `${utc.toISOString().slice(0, 19)}.${fraction.padEnd(6, '0').slice(0, 6)}Z`
}

/** Already canonical (also PostgreSQL's text of a stored timestamptz): the bulk of what a re-run compares. */
const UTC_WITH_MICROSECONDS = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})\.(\d{6})(?:Z|\+00(?::?00)?)$/

/**
 * Stokt's own form, `2025-12-17T10:56:38.491973-05:00`, on the same UTC day: read without regex or
 * Date, as every climb has one. Undefined sends the text down the general path.
 */
function stoktFormSameDay(text: string): string | undefined {
  if (text.length !== 32) return undefined
  const sign = text.charCodeAt(26)
  if (
    (sign !== PLUS && sign !== MINUS) ||
    text.charCodeAt(4) !== DASH ||
    text.charCodeAt(7) !== DASH ||
    text.charCodeAt(10) !== LETTER_T ||
    text.charCodeAt(13) !== COLON ||
    text.charCodeAt(16) !== COLON ||
    text.charCodeAt(19) !== DOT ||
    text.charCodeAt(29) !== COLON ||
    digitsAt(text, 20, 6) < 0
  ) {
    return undefined
  }
  const year = digitsAt(text, 0, 4)
  const month = digitsAt(text, 5, 2)
  const day = digitsAt(text, 8, 2)
  const hour = digitsAt(text, 11, 2)
  const minute = digitsAt(text, 14, 2)
  const second = digitsAt(text, 17, 2)
  const offsetHours = digitsAt(text, 27, 2)
  const offsetMinutes = digitsAt(text, 30, 2)
  if ((year | month | day | hour | minute | second | offsetHours | offsetMinutes) < 0) return undefined // a non-digit
  if (offsetHours > 23 || offsetMinutes > 59 || !isValidFields(year, month, day, hour, minute, second)) return undefined
  const utcMinutes = hour * 60 + minute + (sign === MINUS ? 1 : -1) * (offsetHours * 60 + offsetMinutes)
  if (utcMinutes < 0 || utcMinutes >= 24 * 60) return undefined
  return `${text.slice(0, 10)}T${twoDigits(Math.floor(utcMinutes / 60))}:${twoDigits(utcMinutes % 60)}${text.slice(16, 26)}Z`
}

const [PLUS, MINUS, DASH, DOT, COLON, LETTER_T] = ['+', '-', '-', '.', ':', 'T'].map((char) => char.charCodeAt(0))

/** The number written by `count` ASCII digits at `start`; -1 if any of them is not a digit. */
function digitsAt(text: string, start: number, count: number): number {
  let value = 0
  for (let index = start; index < start + count; index++) {
    const digit = text.charCodeAt(index) - 48
    if (digit < 0 || digit > 9) return -1
    value = value * 10 + digit
  }
  return value
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : String(value)
}

/** `YYYY-MM-DD` and `HH:MM:SS`, already matched as digits. */
function isValidDateTime(date: string, time: string): boolean {
  return isValidFields(
    digitsAt(date, 0, 4),
    digitsAt(date, 5, 2),
    digitsAt(date, 8, 2),
    digitsAt(time, 0, 2),
    digitsAt(time, 3, 2),
    digitsAt(time, 6, 2),
  )
}

/** Checked field by field: Date.UTC would roll 2025-02-30 over into March. */
function isValidFields(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  return (
    inYearRange(year) &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59
  )
}

/** Years 1 to 9999: four digits in the canonical form, and PostgreSQL has no year 0 (SQLite would store it). */
function inYearRange(year: number): boolean {
  return year >= 1 && year <= 9999
}

/** Why `text` has no canonical form (toCanonicalInstant gave none): out of range, or not an instant at all. */
export function invalidInstantReason(text: string): string {
  const match = INSTANT.exec(text.trim())
  if (
    match &&
    isValidFields(1, Number(match[2]), Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])) &&
    offsetMinutes(match[8]) !== undefined
  ) {
    return 'is outside the years 1 to 9999 (in UTC)'
  }
  return 'is not a date-time with an offset'
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

/** An instant as a `timestamp(digits)` keeps it: the fraction rounded, a tie away from 2000-01-01 (PostgreSQL's epoch). */
export function roundInstant(canonical: string, digits: number): string {
  const unit = 10 ** (6 - digits) // microseconds
  const micros = digitsAt(canonical, 20, 6)
  const whole = canonical.slice(0, 19)
  let units = Math.floor(micros / unit)
  const rest = micros - units * unit
  if (rest * 2 > unit || (rest * 2 === unit && whole >= '2000-01-01T00:00:00')) units++
  const fraction = String(units * unit).padStart(6, '0')
  if (units * unit < 1_000_000) return `${whole}.${fraction}Z`
  return `${new Date(Date.parse(`${whole}Z`) + 1000).toISOString().slice(0, 19)}.000000Z`
}

/** Now, in the canonical form. */
export function nowInstant(clock: () => Date = () => new Date()): string {
  return `${clock().toISOString().slice(0, 23)}000Z`
}
