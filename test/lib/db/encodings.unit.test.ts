import {describe, expect, it} from 'vitest'

import {
  canonicalFromStored,
  dashedUuid,
  fromDatabaseValue,
  hexUuid,
  instantFromPostgres,
  isNumericOnSqlite,
  isStoredForm,
  isUuidNumericOnSqlite,
  sqliteInstant,
  toDatabaseValue,
} from '../../../src/lib/db/encodings.js'

describe("the server's encodings", () => {
  it('keeps a UUID on SQLite as 32 lower-case hex digits, and reads it back dashed', () => {
    const uuid = '0190A5E2-0000-7000-8000-0000000000C1'
    expect(toDatabaseValue('sqlite', 'uuid', uuid)).toBe('0190a5e20000700080000000000000c1')
    expect(hexUuid(uuid)).toBe('0190a5e20000700080000000000000c1')
    expect(dashedUuid(hexUuid(uuid))).toBe(uuid.toLowerCase())
    expect(toDatabaseValue('postgres', 'uuid', uuid)).toBe(uuid)
  })

  it('keeps an instant on SQLite as naive UTC text with microseconds, and reads either database back canonical', () => {
    const canonical = '2025-12-17T15:56:38.491973Z'
    expect(sqliteInstant(canonical)).toBe('2025-12-17 15:56:38.491973')
    expect(toDatabaseValue('sqlite', 'instant', canonical)).toBe('2025-12-17 15:56:38.491973')
    expect(canonicalFromStored('2025-12-17 15:56:38.491973')).toBe(canonical)
    // PostgreSQL's text of a timestamp (the connection marks it UTC), trailing zeros dropped or not.
    expect(canonicalFromStored('2025-12-17 15:56:38.491973Z')).toBe(canonical)
    expect(canonicalFromStored('2025-12-17 15:56:38.49Z')).toBe('2025-12-17T15:56:38.490000Z')
    expect(canonicalFromStored('2024-03-30 01:38:22.64666Z')).toBe('2024-03-30T01:38:22.646660Z')
    expect(canonicalFromStored('2025-12-17 15:56:38Z')).toBe('2025-12-17T15:56:38.000000Z')
    expect(canonicalFromStored('2025-12-17 10:56:38.491973-05')).toBe(canonical)
    // A timestamptz(3) column's text is as long as a naive instant's.
    expect(canonicalFromStored('2024-03-30 03:38:22.647+02')).toBe('2024-03-30T01:38:22.647000Z')
    expect(fromDatabaseValue('instant', '2025-12-17 15:56:38.491973')).toBe(canonical)
  })

  it("reads PostgreSQL's text of a timestamp as the canonical instant, whatever digits it shows", () => {
    expect(instantFromPostgres('2025-12-17 15:56:38.491973')).toBe('2025-12-17T15:56:38.491973Z')
    expect(instantFromPostgres('2025-12-17 15:56:38.49')).toBe('2025-12-17T15:56:38.490000Z')
    expect(instantFromPostgres('2025-12-17 15:56:38.4')).toBe('2025-12-17T15:56:38.400000Z')
    expect(instantFromPostgres('2025-12-17 15:56:38')).toBe('2025-12-17T15:56:38.000000Z')
    // Another form (a BC date) is kept, for canonicalFromStored to make of it what it can.
    expect(instantFromPostgres('0044-03-15 12:00:00 BC')).toBe('0044-03-15 12:00:00 BCZ')
    expect(canonicalFromStored('2025-12-17T15:56:38.491973Z')).toBe('2025-12-17T15:56:38.491973Z')
    expect(fromDatabaseValue('instant', instantFromPostgres('2024-03-30 01:38:22.64666'))).toBe('2024-03-30T01:38:22.646660Z')
  })

  it('tells the UUIDs SQLite would store as a number', () => {
    expect(isNumericOnSqlite('12345678901243458789012345678901')).toBe(true)
    expect(isNumericOnSqlite('1234567890124345e789012345678901')).toBe(true)
    expect(isNumericOnSqlite('1234567890e24345e789012345678901')).toBe(false)
    expect(isNumericOnSqlite('0190a5e2000070008000000000000c10')).toBe(false)
    for (const uuid of [
      '12345678-9012-4345-8789-012345678901',
      '12345678-9012-4345-E789-012345678901',
      '12345678-9012-4345-e789-0123456e8901',
      '0190a5e2-0000-7000-8000-0000000000c1',
      '12345678-9012-4345-8789-01234567890!',
      '12345678-9012-4345-8789-01234567890É',
    ])
      expect(isUuidNumericOnSqlite(uuid), uuid).toBe(isNumericOnSqlite(hexUuid(uuid)))
    expect(isUuidNumericOnSqlite('12345678-9012-4345-E789-012345678901')).toBe(true)
  })

  it('tells a stored value from what writing a value would store, as toDatabaseValue makes it', () => {
    const cases: [Parameters<typeof toDatabaseValue>[1], unknown][] = [
      ['uuid', '0190a5e2-0000-7000-8000-0000000000c1'],
      ['uuid', '0190A5E2-0000-7000-8000-0000000000C1'],
      ['uuid', 'not-a-uuid-É'],
      ['instant', '2025-12-17T15:56:38.491973Z'],
      ['instant', '2025-12-17T15:56:38Z'],
      ['boolean', true],
      ['json', ['Tous pieds']],
      ['text', 'Réglette'],
      ['real', 19.5],
      ['integer', 0],
      ['text', null],
    ]
    const stored = [
      '0190a5e20000700080000000000000c1',
      '0190a5e20000700080000000000000c2',
      '0190a5e20000700080000000000000c',
      '2025-12-17 15:56:38.491973',
      '2025-12-17 15:56:38.491974',
      '2025-12-17T15:56:38.491973',
      1,
      0,
      '["Tous pieds"]',
      'Réglette',
      19.5,
      0,
      null,
    ]
    for (const dialect of ['sqlite', 'postgres'] as const)
      for (const [kind, value] of cases)
        for (const candidate of [...stored, toDatabaseValue(dialect, kind, value)])
          expect(isStoredForm(dialect, kind, candidate, value), `${dialect} ${kind} ${String(value)} as ${String(candidate)}`).toBe(
            candidate === toDatabaseValue(dialect, kind, value),
          )
  })
})
