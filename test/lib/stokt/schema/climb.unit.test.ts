import {describe, expect, it} from 'vitest'

import {ClimbSchema, firstHoldNotIn, type Climb} from '../../../../src/lib/stokt/schema/climb.js'
import {parseRecord} from '../../../../src/lib/stokt/schema/common.js'
import {climbRow, userRow} from '../../../../src/lib/import/mapping.js'

const CLIMB_ID = '3f0c9a52-7d1e-4b6a-9c2f-5e8d1a4b7c90'
const SETTER_ID = 'a7e41d08-2b95-4c3f-8e6a-0d9f3b2c1e54'
const FACE_ID = 'c2d8b6e4-9a13-4f70-b5e2-7c6a1d0f8e39'

/** The shape of one of `climbs.results[]`, with fields the importer ignores left in. */
function stoktClimb(): Record<string, unknown> {
  return {
    id: CLIMB_ID,
    climbSetters: {id: SETTER_ID, fullName: 'Noémie T.', avatar: 'CACHE/images/users/avatars/a7/a7e41d08.jpg'},
    name: 'Le toit de Zoé',
    holdsList: 'S1204 S1210 O1301 O1322 F1403 F1419 T1502',
    mirrorHoldsList: 'S2204 T2502',
    feetRule: 'Pieds libres',
    description: 'Départ assis',
    dateCreated: '2025-11-03T08:14:27.305118-05:00',
    isPrivate: false,
    isBenchmark: true,
    crowdGrade: {ircra: 18, hueco: 'V4', font: '6B+', dankyu: '3Q'},
    faceId: FACE_ID,
    wallId: '0e5b7a19-3c84-4d26-a1f0-9b8e2c7d6a53',
    wallName: 'Pan principal',
    climbedBy: 12,
    totalLikes: 3,
    totalComments: 0,
  }
}

function with_(changes: Record<string, unknown>): Record<string, unknown> {
  return {...stoktClimb(), ...changes}
}

function without(field: string): Record<string, unknown> {
  const climb = stoktClimb()
  delete climb[field]
  return climb
}

function accepted(raw: unknown): Climb {
  const result = parseRecord(ClimbSchema, raw)
  if (!result.ok) throw new Error(`expected the climb to be accepted, got: ${result.reason}`)
  return result.value
}

function rejected(raw: unknown): string {
  const result = parseRecord(ClimbSchema, raw)
  if (result.ok) throw new Error(`expected the climb to be rejected, got: ${JSON.stringify(result.value)}`)
  return result.reason
}

/** The reason names `field` as one of its "field: message" parts. */
function expectNamesField(reason: string, field: string): void {
  const parts = reason.split('; ').map((part) => part.slice(0, part.indexOf(':')))
  expect(parts, reason).toContain(field)
}

describe('ClimbSchema', () => {
  it('accepts a realistic climb and keeps what the importer needs', () => {
    const climb = accepted(stoktClimb())
    expect(climb).toMatchObject({
      id: CLIMB_ID,
      climbSetters: {id: SETTER_ID, fullName: 'Noémie T.', avatar: 'CACHE/images/users/avatars/a7/a7e41d08.jpg'},
      name: 'Le toit de Zoé',
      holdsList: 'S1204 S1210 O1301 O1322 F1403 F1419 T1502',
      mirrorHoldsList: 'S2204 T2502',
      feetRule: 'Pieds libres',
      dateCreated: '2025-11-03T13:14:27.305118Z',
      isPrivate: false,
      isBenchmark: true,
      crowdGrade: {font: '6B+', ircra: 18},
      faceId: FACE_ID,
      climbedBy: 12,
      totalLikes: 3,
      totalComments: 0,
    })
  })

  it('turns dateCreated into a UTC instant with its microseconds', () => {
    expect(accepted(with_({dateCreated: '2025-12-31T21:05:00.000042-05:00'})).dateCreated).toBe('2026-01-01T02:05:00.000042Z')
  })

  describe('a missing field', () => {
    it.each(['id', 'name', 'holdsList', 'dateCreated', 'isPrivate', 'isBenchmark', 'faceId', 'climbedBy', 'totalLikes', 'totalComments'])(
      'without %s is rejected, naming it',
      (field) => {
        expectNamesField(rejected(without(field)), field)
      },
    )

    it('says the field is missing, not that it has the wrong type', () => {
      expect(rejected(without('name'))).toBe('name: missing')
    })

    it.each(['mirrorHoldsList', 'feetRule', 'description', 'crowdGrade'])('without %s is accepted', (field) => {
      accepted(without(field))
    })

    it('a missing mirror holds list is stored as none (NULL, as the server stores it)', () => {
      expect(climbRow(accepted(without('mirrorHoldsList'))).values.mirror_holds_list).toBeNull()
      expect(climbRow(accepted(with_({mirrorHoldsList: null}))).values.mirror_holds_list).toBeNull()
    })

    it('without a setter name, the setter is rejected by its path', () => {
      expectNamesField(rejected(with_({climbSetters: {id: SETTER_ID, avatar: null}})), 'climbSetters.fullName')
    })
  })

  describe('a wrong type', () => {
    it.each([
      ['name', {name: 42}, 'name'],
      ['name null', {name: null}, 'name'],
      ['holdsList', {holdsList: ['S1204', 'T1502']}, 'holdsList'],
      ['isPrivate', {isPrivate: 'false'}, 'isPrivate'],
      ['isBenchmark', {isBenchmark: 1}, 'isBenchmark'],
      ['climbedBy', {climbedBy: '12'}, 'climbedBy'],
      ['totalLikes', {totalLikes: null}, 'totalLikes'],
      ['dateCreated', {dateCreated: 1762175667}, 'dateCreated'],
      ['feetRule', {feetRule: 3}, 'feetRule'],
      ['crowdGrade.font', {crowdGrade: {font: 7, ircra: 18}}, 'crowdGrade.font'],
      ['crowdGrade.ircra', {crowdGrade: {font: '6B+', ircra: '18'}}, 'crowdGrade.ircra'],
      ['climbSetters', {climbSetters: 'Noémie T.'}, 'climbSetters'],
      ['climbSetters.fullName', {climbSetters: {id: SETTER_ID, fullName: 7, avatar: null}}, 'climbSetters.fullName'],
      ['climbSetters.avatar', {climbSetters: {id: SETTER_ID, fullName: 'Noémie T.', avatar: 12}}, 'climbSetters.avatar'],
    ])('%s is rejected, naming the field', (_, changes, field) => {
      expectNamesField(rejected(with_(changes)), field)
    })

    it.each([null, 'a climb', 42, []])('a record that is not an object (%j) is rejected', (raw) => {
      expect(rejected(raw)).not.toBe('')
    })

    it('names every failing field, not only the first', () => {
      const reason = rejected(with_({name: 42, totalLikes: -1}))
      expectNamesField(reason, 'name')
      expectNamesField(reason, 'totalLikes')
    })
  })

  describe('ids', () => {
    it.each([
      ['id', {id: 'not-a-uuid'}, 'id'],
      ['id, one digit short', {id: CLIMB_ID.slice(0, -1)}, 'id'],
      ['id as a number', {id: 82861103}, 'id'],
      ['id with a non-hex digit', {id: '3f0c9a52-7d1e-4b6a-9c2f-5e8d1a4b7c9g'}, 'id'],
      ['faceId', {faceId: 'face-1'}, 'faceId'],
      ['climbSetters.id', {climbSetters: {id: '1234', fullName: 'Noémie T.', avatar: null}}, 'climbSetters.id'],
    ])('%s that is not a UUID is rejected, naming the field', (_, changes, field) => {
      expectNamesField(rejected(with_(changes)), field)
    })

    it('accepts an upper-case UUID, kept as received', () => {
      expect(accepted(with_({id: CLIMB_ID.toUpperCase()})).id).toBe(CLIMB_ID.toUpperCase())
    })
  })

  describe('holds lists', () => {
    it('gives the exact reason for a garbage token', () => {
      expect(rejected(with_({holdsList: 'S829284 Q8291 T829220'}))).toBe("holdsList: token 'Q8291' is not S/O/F/T + hold id")
    })

    it.each(['S', 'S12a4', 's1204', 'S-1204', 'S1204,T1502', 'X'])('rejects the token %j', (token) => {
      const reason = rejected(with_({holdsList: `S1204 ${token} T1502`}))
      expectNamesField(reason, 'holdsList')
      expect(reason).toContain('is not S/O/F/T + hold id')
    })

    it('clips a very long garbage token in the reason', () => {
      const reason = rejected(with_({holdsList: `S1204 ${'Z'.repeat(500)}`}))
      expectNamesField(reason, 'holdsList')
      expect(reason.length).toBeLessThan(100)
    })

    it.each(['', '   '])('rejects an empty holds list (%j)', (holdsList) => {
      expectNamesField(rejected(with_({holdsList})), 'holdsList')
    })

    it('accepts an empty mirror holds list', () => {
      expect(accepted(with_({mirrorHoldsList: ''})).mirrorHoldsList).toBe('')
    })

    it('rejects a garbage token in the mirror holds list, naming it', () => {
      expectNamesField(rejected(with_({mirrorHoldsList: 'S2204 W9'})), 'mirrorHoldsList')
    })

    it('accepts tokens separated by several spaces, tabs or new lines', () => {
      accepted(with_({holdsList: 'S1204  O1301 T1502'}))
      accepted(with_({holdsList: ' S1204\tO1301\nT1502 '}))
      accepted(with_({mirrorHoldsList: ' \t '}))
    })

    it('rejects tokens run together, naming them', () => {
      expect(rejected(with_({holdsList: 'S1204 O1301T1502'}))).toBe("holdsList: token 'O1301T1502' is not S/O/F/T + hold id")
    })

    it('finds the first hold of a holds list that is not on the face, whatever the spacing', () => {
      const onFace = new Set([829284, 829104, 829309, 829220])
      expect(firstHoldNotIn(' S829284 F829104  O829309 T829220 ', onFace)).toBeUndefined()
      expect(firstHoldNotIn('S829284 F111 O829309 T222', onFace)).toBe(111)
      expect(firstHoldNotIn('', onFace)).toBeUndefined()
      expect(firstHoldNotIn('S0829284 T00111', onFace)).toBe(111)
    })
  })

  describe('counts', () => {
    it.each([
      ['climbedBy', -1],
      ['totalLikes', -3],
      ['totalComments', -1],
      ['climbedBy', 2.5],
      ['totalLikes', 0.1],
      ['totalComments', Number.NaN],
    ])('rejects %s = %d', (field, value) => {
      expectNamesField(rejected(with_({[field]: value})), field)
    })

    it.each(['climbedBy', 'totalLikes', 'crowdGrade.ircra'])('says %s = 1e400 is out of range, not that it is no number', (field) => {
      const raw =
        field === 'crowdGrade.ircra'
          ? with_({crowdGrade: JSON.parse('{"font": "6a", "ircra": 1e400}')})
          : with_(JSON.parse(`{"${field}": 1e400}`))
      expect(rejected(raw)).toBe(`${field}: out of range: too large a number`)
    })

    it('accepts zero', () => {
      expect(accepted(with_({climbedBy: 0, totalLikes: 0, totalComments: 0}))).toMatchObject({
        climbedBy: 0,
        totalLikes: 0,
        totalComments: 0,
      })
    })
  })

  describe('dateCreated', () => {
    it.each(['yesterday', '', '2025-02-30T10:00:00Z', '2025-11-03T25:00:00-05:00', '2025-11-03T08:14:27.305118', '03/11/2025'])(
      'rejects %j, naming the field and quoting the value',
      (dateCreated) => {
        const reason = rejected(with_({dateCreated}))
        expectNamesField(reason, 'dateCreated')
        if (dateCreated !== '') expect(reason).toContain(dateCreated)
      },
    )
  })

  describe('name length', () => {
    it("leaves lengths to the database's widths (the server's VARCHAR, checked as the row is written)", () => {
      const name = '🧗'.repeat(300)
      expect(accepted(with_({name})).name).toBe(name)
      expect(accepted(with_({climbSetters: {id: SETTER_ID, fullName: name, avatar: null}})).climbSetters?.fullName).toBe(name)
    })
  })

  describe('setters', () => {
    it('reads a null climbSetters as no setter', () => {
      expect(accepted(with_({climbSetters: null})).climbSetters).toBeNull()
    })

    it('reads a missing climbSetters as no setter', () => {
      expect(accepted(without('climbSetters')).climbSetters ?? null).toBeNull()
      expect(climbRow(accepted(without('climbSetters'))).refs?.setter_id.stoktId).toBeNull()
    })

    it('keeps a setter without an avatar', () => {
      expect(accepted(with_({climbSetters: {id: SETTER_ID, fullName: 'Noémie T.', avatar: null}})).climbSetters).toEqual({
        id: SETTER_ID,
        fullName: 'Noémie T.',
        avatar: null,
      })
    })

    it('stores a missing avatar as none', () => {
      const setter = accepted(with_({climbSetters: {id: SETTER_ID, fullName: 'Noémie T.'}})).climbSetters!
      expect(userRow(setter).values.avatar_path).toBeNull()
    })
  })

  describe('grades', () => {
    it('keeps an ungraded "?" font grade', () => {
      expect(accepted(with_({crowdGrade: {ircra: null, hueco: '?', font: '?', dankyu: '?'}})).crowdGrade).toMatchObject({
        font: '?',
        ircra: null,
      })
    })

    it.each(['6A+', '4+', '8C'])('keeps the font grade %j', (font) => {
      expect(accepted(with_({crowdGrade: {ircra: 20.5, font}})).crowdGrade?.font).toBe(font)
    })

    it('accepts a null crowdGrade', () => {
      expect(accepted(with_({crowdGrade: null})).crowdGrade ?? null).toBeNull()
    })
  })

  describe('text is kept verbatim', () => {
    it('keeps accents, curly and straight apostrophes and symbols', () => {
      const climb = accepted(
        with_({
          name: "L’arête d'Anaïs — 300€ « déversant » 🧗",
          feetRule: 'Pieds des mains',
          climbSetters: {id: SETTER_ID, fullName: 'Ségolène O’Brien', avatar: null},
        }),
      )
      expect(climb.name).toBe("L’arête d'Anaïs — 300€ « déversant » 🧗")
      expect(climb.feetRule).toBe('Pieds des mains')
      expect(climb.climbSetters?.fullName).toBe('Ségolène O’Brien')
    })

    it('keeps SQL-shaped text as it is', () => {
      const name = "Robert'); DROP TABLE climbs;--"
      const feetRule = "' OR '1'='1' /* \\ %_ */"
      const climb = accepted(with_({name, feetRule, climbSetters: {id: SETTER_ID, fullName: 'O\'Hara"; --', avatar: null}}))
      expect(climb.name).toBe(name)
      expect(climb.feetRule).toBe(feetRule)
      expect(climb.climbSetters?.fullName).toBe('O\'Hara"; --')
    })

    it('keeps leading and trailing spaces of a name', () => {
      expect(accepted(with_({name: '  Dalle  '})).name).toBe('  Dalle  ')
    })
  })
})
