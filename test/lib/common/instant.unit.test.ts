import {describe, expect, it} from 'vitest'

import {invalidInstantReason, nowInstant, roundInstant, toCanonicalInstant} from '../../../src/lib/common/instant.js'

describe('toCanonicalInstant', () => {
  describe('offsets', () => {
    it.each([
      ['a negative offset, as Stokt sends it', '2025-12-17T10:56:38.491973-05:00', '2025-12-17T15:56:38.491973Z'],
      ['a half-hour positive offset', '2025-12-17T21:26:38.491973+05:30', '2025-12-17T15:56:38.491973Z'],
      ['Z', '2025-12-17T15:56:38.491973Z', '2025-12-17T15:56:38.491973Z'],
      ["PostgreSQL's text form", '2025-12-17 15:56:38.491973+00', '2025-12-17T15:56:38.491973Z'],
      ["PostgreSQL's text form with a half-hour offset", '2025-12-17 21:26:38.491973+05:30', '2025-12-17T15:56:38.491973Z'],
      ['an offset without a colon', '2025-12-17T10:56:38.491973-0500', '2025-12-17T15:56:38.491973Z'],
      ['an hour-only offset', '2025-12-17T18:56:38.491973+03', '2025-12-17T15:56:38.491973Z'],
    ])('converts %s to UTC', (_, text, expected) => {
      expect(toCanonicalInstant(text)).toBe(expected)
    })

    it('gives one text for one instant, whatever offset it was written with (so a re-run compares equal)', () => {
      const forms = [
        '2025-12-17T10:56:38.491973-05:00',
        '2025-12-17T21:26:38.491973+05:30',
        '2025-12-17T15:56:38.491973Z',
        '2025-12-17 15:56:38.491973+00',
      ]
      const canonical = new Set(forms.map(toCanonicalInstant))
      expect([...canonical]).toEqual(['2025-12-17T15:56:38.491973Z'])
    })

    it('ignores surrounding whitespace', () => {
      expect(toCanonicalInstant('  2025-12-17T10:56:38.491973-05:00\n')).toBe('2025-12-17T15:56:38.491973Z')
    })

    it('gives its own output back unchanged', () => {
      const canonical = '2025-12-17T15:56:38.491973Z'
      expect(toCanonicalInstant(canonical)).toBe(canonical)
    })
  })

  describe('fractions of a second', () => {
    it.each([
      ['2025-12-17T10:56:38.000001-05:00', '2025-12-17T15:56:38.000001Z'],
      ['2025-12-17T10:56:38.999999-05:00', '2025-12-17T15:56:38.999999Z'],
      ['2025-12-17T10:56:38.123457-05:00', '2025-12-17T15:56:38.123457Z'],
      ['2025-12-17T10:56:38.100000-05:00', '2025-12-17T15:56:38.100000Z'],
    ])('keeps the microseconds of %s exactly', (text, expected) => {
      expect(toCanonicalInstant(text)).toBe(expected)
    })

    it.each([
      ['no fraction', '2025-12-17T10:56:38-05:00', '2025-12-17T15:56:38.000000Z'],
      ['one digit', '2025-12-17T10:56:38.5-05:00', '2025-12-17T15:56:38.500000Z'],
      ['milliseconds', '2025-12-17T10:56:38.491-05:00', '2025-12-17T15:56:38.491000Z'],
      ['four digits', '2025-12-17T10:56:38.4919-05:00', '2025-12-17T15:56:38.491900Z'],
    ])('pads %s to six digits', (_, text, expected) => {
      expect(toCanonicalInstant(text)).toBe(expected)
    })

    it('does not let microseconds near a second boundary carry into the seconds', () => {
      expect(toCanonicalInstant('2025-12-31T23:59:59.999999+00:00')).toBe('2025-12-31T23:59:59.999999Z')
    })
  })

  describe('day rollover across the offset', () => {
    it.each([
      ['into the next year, west of UTC', '2025-12-31T22:30:00.250000-05:00', '2026-01-01T03:30:00.250000Z'],
      ['back into the previous month, east of UTC', '2025-03-01T01:00:00.000001+05:30', '2025-02-28T19:30:00.000001Z'],
      ['back onto a leap day', '2024-03-01T00:15:00+01:00', '2024-02-29T23:15:00.000000Z'],
      ['back into the previous year', '2026-01-01T00:00:00.000000+00:30', '2025-12-31T23:30:00.000000Z'],
    ])('rolls %s', (_, text, expected) => {
      expect(toCanonicalInstant(text)).toBe(expected)
    })
  })

  describe('what is not an instant', () => {
    it.each([
      ['February 30th', '2025-02-30T10:00:00Z'],
      ['February 29th of a common year', '2025-02-29T10:00:00Z'],
      ['month 13', '2025-13-01T10:00:00Z'],
      ['day 0', '2025-12-00T10:00:00Z'],
      ['hour 25', '2025-12-17T25:00:00Z'],
      ['hour 24', '2025-12-17T24:00:00Z'],
      ['minute 60', '2025-12-17T10:60:00Z'],
      ['second 61', '2025-12-17T10:56:61Z'],
    ])('rejects an impossible date or time: %s', (_, text) => {
      expect(toCanonicalInstant(text)).toBeUndefined()
    })

    it('accepts February 29th of a leap year', () => {
      expect(toCanonicalInstant('2024-02-29T10:00:00Z')).toBe('2024-02-29T10:00:00.000000Z')
    })

    it.each([
      ['empty text', ''],
      ['a word', 'yesterday'],
      ['a date alone', '2025-12-17'],
      ['a local time without an offset', '2025-12-17T10:56:38.491973'],
      ['a European date', '17/12/2025 10:56'],
      ['an epoch number as text', '1734450998'],
      ['an offset with letters', '2025-12-17T10:56:38+ab:cd'],
      ['a date with trailing garbage', '2025-12-17T10:56:38Z; DROP TABLE climbs'],
      ['an empty fraction', '2025-12-17T10:56:38.-05:00'],
    ])('rejects garbage: %s', (_, text) => {
      expect(toCanonicalInstant(text)).toBeUndefined()
    })

    it.each([
      ['year 0, in UTC form', '0000-06-01T10:00:00.000000Z', 'is outside the years 1 to 9999 (in UTC)'],
      ["year 0, in Stokt's form", '0000-06-01T10:00:00.000000-05:00', 'is outside the years 1 to 9999 (in UTC)'],
      ['year 1 moved back into year 0 by its offset', '0001-01-01T00:30:00.000000+01:00', 'is outside the years 1 to 9999 (in UTC)'],
      ['year 9999 moved on into year 10000 by its offset', '9999-12-31T23:30:00.000000-01:00', 'is outside the years 1 to 9999 (in UTC)'],
      ['garbage', '17/12/2025 10:56', 'is not a date-time with an offset'],
    ])('rejects a date-time outside the years 1 to 9999, in UTC, saying so: %s', (_, text, reason) => {
      expect(toCanonicalInstant(text)).toBeUndefined()
      expect(invalidInstantReason(text)).toBe(reason)
    })

    it.each([
      ['year 1', '0001-01-01T00:30:00.000000-01:00', '0001-01-01T01:30:00.000000Z'],
      ['year 9999', '9999-12-31T22:30:00.000000-01:00', '9999-12-31T23:30:00.000000Z'],
    ])('keeps the ends of the range: %s', (_, text, expected) => {
      expect(toCanonicalInstant(text)).toBe(expected)
    })

    it.each([
      ['an offset of 99 hours', '2025-12-17T10:56:38.491973+99:00'],
      ['an offset of 24 hours', '2025-12-17T10:56:38.491973+24:00'],
      ['an offset with 60 minutes', '2025-12-17T10:56:38.491973-05:60'],
    ])('rejects an impossible offset: %s', (_, text) => {
      expect(toCanonicalInstant(text)).toBeUndefined()
    })
  })
})

describe("toCanonicalInstant on Stokt's own form (read without a regex when it stays on the same UTC day)", () => {
  /** The expected UTC text, worked out with Date at millisecond precision plus the microseconds. */
  function expectedUtc(local: string, offsetMinutes: number): string {
    const utc = new Date(Date.parse(`${local.slice(0, 19)}Z`) - offsetMinutes * 60_000)
    return `${utc.toISOString().slice(0, 19)}.${local.slice(20, 26)}Z`
  }

  it('agrees with Date arithmetic at every hour and offset, on both sides of midnight', () => {
    const offsets = [-12 * 60, -9 * 60 - 30, -5 * 60, -60, 0, 45, 5 * 60 + 30, 9 * 60, 14 * 60]
    let checked = 0
    for (const day of ['2024-02-29', '2025-12-31', '2026-01-01', '2025-03-01', '2025-06-15']) {
      for (let hour = 0; hour < 24; hour++) {
        for (const minute of [0, 29, 59]) {
          for (const offset of offsets) {
            const sign = offset < 0 ? '-' : '+'
            const abs = Math.abs(offset)
            const pad = (value: number) => String(value).padStart(2, '0')
            const local = `${day}T${pad(hour)}:${pad(minute)}:07.000123`
            const text = `${local}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
            expect(toCanonicalInstant(text), text).toBe(expectedUtc(local, offset))
            checked++
          }
        }
      }
    }
    expect(checked).toBe(5 * 24 * 3 * 9)
  })

  it.each([
    ['a letter in the hour', '2025-12-17T1a:56:38.491973-05:00'],
    ['a letter in the microseconds', '2025-12-17T10:56:38.49197x-05:00'],
    ['a letter in the offset', '2025-12-17T10:56:38.491973-0a:00'],
    ['hour 24', '2025-12-17T24:00:00.000000-05:00'],
    ['second 60', '2025-12-17T10:56:60.000000-05:00'],
    ['February 29th of a common year', '2025-02-29T10:56:38.491973-05:00'],
    ['an offset of 24 hours', '2025-12-17T10:56:38.491973+24:00'],
  ])('rejects %s', (_, text) => {
    expect(toCanonicalInstant(text)).toBeUndefined()
  })

  it('keeps a year below 100 as written, on either path (Date.UTC would read 0050 as 1950)', () => {
    expect(toCanonicalInstant('0050-06-15T10:00:00.000001-05:00')).toBe('0050-06-15T15:00:00.000001Z')
    expect(toCanonicalInstant('0050-06-15T22:00:00.000001-05:00')).toBe('0050-06-16T03:00:00.000001Z')
  })
})

describe('nowInstant', () => {
  it('gives the clock in the canonical form', () => {
    expect(nowInstant(() => new Date('2025-12-17T15:56:38.491Z'))).toBe('2025-12-17T15:56:38.491000Z')
  })

  it('is a canonical instant itself', () => {
    const now = nowInstant()
    expect(toCanonicalInstant(now)).toBe(now)
  })
})

describe('roundInstant: as a PostgreSQL timestamp(digits) column keeps an instant', () => {
  it.each([
    ['to milliseconds, down', '2026-10-27T10:43:49.513496Z', 3, '2026-10-27T10:43:49.513000Z'],
    ['to milliseconds, up', '2026-10-27T10:43:49.513501Z', 3, '2026-10-27T10:43:49.514000Z'],
    ['a tie after 2000, away from 2000: up', '2026-10-27T10:43:49.513500Z', 3, '2026-10-27T10:43:49.514000Z'],
    ['a tie before 2000, away from 2000: down', '1999-12-31T23:59:59.513500Z', 3, '1999-12-31T23:59:59.513000Z'],
    ['to whole seconds', '2026-10-27T10:43:49.499999Z', 0, '2026-10-27T10:43:49.000000Z'],
    ['to tenths', '2026-10-27T10:43:49.250000Z', 1, '2026-10-27T10:43:49.300000Z'],
    ['over into the next year', '2025-12-31T23:59:59.999600Z', 3, '2026-01-01T00:00:00.000000Z'],
    ['already at that precision', '2026-10-27T10:43:49.513000Z', 3, '2026-10-27T10:43:49.513000Z'],
  ])('rounds %s', (_, canonical, digits, expected) => {
    expect(roundInstant(canonical, digits)).toBe(expected)
  })
})
