import {describe, expect, it} from 'vitest'

import {CLIMBS, FACES, GYMS, HOLDS, USERS, type TableSpec} from '../../../src/lib/db/tables.js'
import {climbRow, faceRow, gymRow, holdRow, userRow} from '../../../src/lib/import/mapping.js'
import {changedFields, IdRegistry, type SourceRow} from '../../../src/lib/import/upsert.js'
import {ClimbSchema} from '../../../src/lib/stokt/schema/climb.js'
import {parseRecord, type ParseResult} from '../../../src/lib/stokt/schema/common.js'
import {GymSummarySchema} from '../../../src/lib/stokt/schema/gym.js'
import {FaceSetupSchema, HoldSchema} from '../../../src/lib/stokt/schema/setup.js'

const GYM_ID = '9b3e5c7a-1d2f-4e6b-8a0c-2f4d6e8a0b1c'
const FACE_ID = '5d9e2f71-0c4b-4a83-b6d7-e1f2a3b4c5d6'
const CLIMB_ID = '3f0c9a52-7d1e-4b6a-9c2f-5e8d1a4b7c90'
const SETTER_ID = 'a7e41d08-2b95-4c3f-8e6a-0d9f3b2c1e54'

function valid<T>(result: ParseResult<T>): T {
  if (!result.ok) throw new Error(`fixture rejected: ${result.reason}`)
  return result.value
}

const gym = (changes: Record<string, unknown> = {}) =>
  valid(parseRecord(GymSummarySchema, {id: GYM_ID, displayName: 'Bloc du Quai', locationString: 'Lyon, France', ...changes}))

const setup = (changes: Record<string, unknown> = {}) =>
  valid(
    parseRecord(FaceSetupSchema, {
      id: FACE_ID,
      gym: 'Bloc du Quai',
      wall: 'Pan principal',
      picture: {name: 'walls/5d9e2f71/face-2025.jpg', width: 1080, height: 1920},
      feetRulesOptions: ['Pieds libres', 'Pieds des mains'],
      hasSymmetry: true,
      holds: [],
      ...changes,
    }),
  )

const hold = (changes: Record<string, unknown> = {}) =>
  valid(
    parseRecord(HoldSchema, {
      id: 828902,
      area: '2226.00',
      polygonStr: '559.96,2358.89 536.00,2382.86 536.00,2409.59',
      touchPolygonStr: '611.34,2537.10 619.79,2525.36',
      pathStr: 'M559.96,2358.89L536.00,2382.86z',
      centroidStr: '572.53 2397.11',
      topPolygonStr: '552.37,2331.13 511.00,2372.50',
      centerTapeStr: '564.16 2433.00 541.45 2530.39',
      rightTapeStr: '583.42 2433.00 612.44 2528.69',
      leftTapeStr: '547.62 2423.70 479.26 2496.69',
      ...changes,
    }),
  )

const SETTER = {id: SETTER_ID, fullName: 'Noémie T.', avatar: 'CACHE/images/users/avatars/a7/a7e41d08.jpg'}

const climb = (changes: Record<string, unknown> = {}) =>
  valid(
    parseRecord(ClimbSchema, {
      id: CLIMB_ID,
      climbSetters: SETTER,
      name: 'L’arête à 200€',
      holdsList: 'S828902 O828910 F828911 T828920',
      mirrorHoldsList: 'S828950 T828960',
      feetRule: 'Pieds des mains',
      description: "Départ assis, pas de 'dièdre'",
      dateCreated: '2025-12-17T10:56:38.491973-05:00',
      isPrivate: false,
      isBenchmark: true,
      crowdGrade: {ircra: 20.5, hueco: 'V6', font: '7A', dankyu: '1Q'},
      faceId: FACE_ID,
      wallId: '1ab81c9a-0000-4000-8000-000000000000',
      climbedBy: 14,
      totalLikes: 5,
      totalComments: 2,
      ...changes,
    }),
  )

/** The columns a row sets, its references included. */
function columnsOf(row: SourceRow): string[] {
  return [...Object.keys(row.values), ...Object.keys(row.refs ?? {})].sort()
}

function ownedColumns(spec: TableSpec): string[] {
  return Object.keys(spec.columns).sort()
}

describe('gymRow', () => {
  it('maps a gym summary to the gyms columns', () => {
    const row = gymRow(gym())
    expect(row.stoktId).toBe(GYM_ID)
    expect(row.values).toEqual({display_name: 'Bloc du Quai', location_string: 'Lyon, France'})
    expect(columnsOf(row)).toEqual(ownedColumns(GYMS))
  })

  it('keeps a missing location as null', () => {
    expect(gymRow(gym({locationString: null})).values.location_string).toBeNull()
  })
})

describe('faceRow', () => {
  it('maps a setup to the faces columns, picture split in three', () => {
    const row = faceRow(GYM_ID, setup())
    expect(row.stoktId).toBe(FACE_ID)
    expect(row.values).toEqual({
      picture_path: 'walls/5d9e2f71/face-2025.jpg',
      picture_width: 1080,
      picture_height: 1920,
      feet_rules_options: ['Pieds libres', 'Pieds des mains'],
      has_symmetry: true,
    })
    expect(row.refs?.gym_id).toMatchObject({entity: 'gym', stoktId: GYM_ID})
    expect(columnsOf(row)).toEqual(ownedColumns(FACES))
  })

  it("gives '' for a missing picture (the server's column is NOT NULL), null sizes and an empty feet rules array", () => {
    const row = faceRow(GYM_ID, setup({picture: null, feetRulesOptions: null}))
    expect(row.values).toMatchObject({picture_path: '', picture_width: null, picture_height: null, feet_rules_options: []})
    expect(columnsOf(row)).toEqual(ownedColumns(FACES))
  })

  it('keeps a picture without its size', () => {
    expect(faceRow(GYM_ID, setup({picture: {name: 'walls/x.jpg'}})).values).toMatchObject({
      picture_path: 'walls/x.jpg',
      picture_width: null,
      picture_height: null,
    })
  })
})

describe('holdRow', () => {
  it('maps a hold to the holds columns: centroid split, area a number', () => {
    const row = holdRow(FACE_ID, hold())
    expect(row.stoktId).toBe(828902)
    expect(row.values).toEqual({
      polygon_str: '559.96,2358.89 536.00,2382.86 536.00,2409.59',
      path_str: 'M559.96,2358.89L536.00,2382.86z',
      centroid_x: 572.53,
      centroid_y: 2397.11,
      area: 2226,
      center_tape_str: '564.16 2433.00 541.45 2530.39',
      right_tape_str: '583.42 2433.00 612.44 2528.69',
      left_tape_str: '547.62 2423.70 479.26 2496.69',
    })
    expect(row.refs?.face_id).toMatchObject({entity: 'face', stoktId: FACE_ID})
    expect(columnsOf(row)).toEqual(ownedColumns(HOLDS))
  })

  it('gives null centroid and area when Stokt sends none', () => {
    const row = holdRow(FACE_ID, hold({centroidStr: null, area: null}))
    expect(row.values).toMatchObject({centroid_x: null, centroid_y: null, area: null})
    expect(columnsOf(row)).toEqual(ownedColumns(HOLDS))
  })

  it('gives null for the optional strings Stokt leaves out', () => {
    const bare = valid(parseRecord(HoldSchema, {id: 7, polygonStr: '1,2 3,4 5,6'}))
    const row = holdRow(FACE_ID, bare)
    expect(row.values).toEqual({
      polygon_str: '1,2 3,4 5,6',
      path_str: null,
      centroid_x: null,
      centroid_y: null,
      area: null,
      center_tape_str: null,
      right_tape_str: null,
      left_tape_str: null,
    })
  })
})

describe('userRow', () => {
  it('maps a climb setter to the users columns', () => {
    const row = userRow(climb().climbSetters!)
    expect(row.stoktId).toBe(SETTER_ID)
    expect(row.values).toEqual({full_name: 'Noémie T.', avatar_path: 'CACHE/images/users/avatars/a7/a7e41d08.jpg'})
    expect(columnsOf(row)).toEqual(ownedColumns(USERS))
  })

  it('keeps a null avatar as null', () => {
    const row = userRow(climb({climbSetters: {...SETTER, avatar: null}}).climbSetters!)
    expect(row.values.avatar_path).toBeNull()
  })
})

describe('climbRow', () => {
  it('maps a climb to the climbs columns', () => {
    const row = climbRow(climb())
    expect(row.stoktId).toBe(CLIMB_ID)
    expect(row.values).toEqual({
      name: 'L’arête à 200€',
      holds_list: 'S828902 O828910 F828911 T828920',
      mirror_holds_list: 'S828950 T828960',
      grade_font: '7A',
      grade_ircra: 20.5,
      feet_rule: 'Pieds des mains',
      is_private: false,
      is_benchmark: true,
      climbed_by: 14,
      total_likes: 5,
      total_comments: 2,
      created_at: '2025-12-17T15:56:38.491973Z',
    })
    expect(row.refs?.face_id).toMatchObject({entity: 'face', stoktId: FACE_ID})
    expect(row.refs?.setter_id).toMatchObject({entity: 'user', stoktId: SETTER_ID})
    expect(columnsOf(row)).toEqual(ownedColumns(CLIMBS))
  })

  it('sets created_at to dateCreated as a UTC instant with microseconds', () => {
    expect(climbRow(climb({dateCreated: '2025-12-31T23:59:59.000007-05:00'})).values.created_at).toBe('2026-01-01T04:59:59.000007Z')
    expect(climbRow(climb({dateCreated: '2025-06-01 08:00:00.5+05:30'})).values.created_at).toBe('2025-06-01T02:30:00.500000Z')
  })

  it('refers to no setter when the climb has none', () => {
    for (const changes of [{climbSetters: null}, {climbSetters: undefined}]) {
      const row = climbRow(climb(changes))
      expect(row.refs?.setter_id).toMatchObject({entity: 'user', stoktId: null})
      expect(columnsOf(row)).toEqual(ownedColumns(CLIMBS))
    }
  })

  it('keeps an ungraded "?" and gives null grades without a crowd grade', () => {
    expect(climbRow(climb({crowdGrade: {font: '?', ircra: null}})).values).toMatchObject({grade_font: '?', grade_ircra: null})
    expect(climbRow(climb({crowdGrade: null})).values).toMatchObject({grade_font: null, grade_ircra: null})
  })

  it('gives null texts when Stokt sends none', () => {
    expect(climbRow(climb({mirrorHoldsList: null, feetRule: null})).values).toMatchObject({
      mirror_holds_list: null,
      feet_rule: null,
    })
  })

  it('keeps the record as received for the rejects', () => {
    const raw = {id: CLIMB_ID, anything: true}
    expect(climbRow(climb(), raw).raw).toBe(raw)
  })
})

describe('comparing a fresh row with the stored one', () => {
  /** The row as the store would hand it back: references resolved to mastoc ids. */
  const stored = (row: SourceRow, refs: Record<string, string | null>) => ({...row.values, ...refs})
  const refs = {face_id: 'f1e2d3c4-0000-4000-8000-000000000001', setter_id: 'u1e2d3c4-0000-4000-8000-000000000002'}

  it('finds nothing changed when the same climb is mapped again (a re-run writes nothing)', () => {
    expect(changedFields(CLIMBS, stored(climbRow(climb()), refs), stored(climbRow(climb()), refs))).toEqual([])
  })

  it('finds the same dateCreated unchanged whatever offset Stokt wrote it with', () => {
    const before = stored(climbRow(climb({dateCreated: '2025-12-17T10:56:38.491973-05:00'})), refs)
    const after = stored(climbRow(climb({dateCreated: '2025-12-17 15:56:38.491973+00'})), refs)
    expect(changedFields(CLIMBS, before, after)).toEqual([])
  })

  it('names exactly the columns Stokt changed, with their old and new values', () => {
    const before = stored(climbRow(climb()), refs)
    const after = stored(climbRow(climb({name: 'L’arête à 300€', totalLikes: 6})), refs)
    expect(changedFields(CLIMBS, before, after)).toEqual([
      {field: 'name', from: 'L’arête à 200€', to: 'L’arête à 300€'},
      {field: 'total_likes', from: 5, to: 6},
    ])
  })

  it('sees a microsecond change of dateCreated', () => {
    const before = stored(climbRow(climb({dateCreated: '2025-12-17T10:56:38.491973-05:00'})), refs)
    const after = stored(climbRow(climb({dateCreated: '2025-12-17T10:56:38.491974-05:00'})), refs)
    expect(changedFields(CLIMBS, before, after).map((change) => change.field)).toEqual(['created_at'])
  })

  it('finds -0 unchanged from a stored 0 (PostgreSQL, through JSON, keeps no -0), and still sees 0 becoming 1', () => {
    const before = stored(climbRow(climb({crowdGrade: {font: '6A', ircra: 0}})), refs)
    expect(changedFields(CLIMBS, before, stored(climbRow(climb({crowdGrade: {font: '6A', ircra: -0}})), refs))).toEqual([])
    expect(changedFields(CLIMBS, before, stored(climbRow(climb({crowdGrade: {font: '6A', ircra: 1}})), refs))).toEqual([
      {field: 'grade_ircra', from: 0, to: 1},
    ])
  })

  it('sees a setter removed', () => {
    const before = stored(climbRow(climb()), refs)
    const after = stored(climbRow(climb({climbSetters: null})), {...refs, setter_id: null})
    expect(changedFields(CLIMBS, before, after)).toEqual([{field: 'setter_id', from: refs.setter_id, to: null}])
  })

  it('compares feet rules by content, and sees them reordered', () => {
    const faceRefs = {gym_id: '0a0a0a0a-0000-4000-8000-000000000003'}
    const before = stored(faceRow(GYM_ID, setup()), faceRefs)
    expect(changedFields(FACES, before, stored(faceRow(GYM_ID, setup()), faceRefs))).toEqual([])
    const reordered = stored(faceRow(GYM_ID, setup({feetRulesOptions: ['Pieds des mains', 'Pieds libres']})), faceRefs)
    expect(changedFields(FACES, before, reordered).map((change) => change.field)).toEqual(['feet_rules_options'])
  })

  it('treats a missing column and null alike', () => {
    expect(changedFields(USERS, {full_name: 'Noémie T.'}, {full_name: 'Noémie T.', avatar_path: null})).toEqual([])
  })

  it('sees an area change on a hold', () => {
    const faceRef = {face_id: FACE_ID}
    const before = stored(holdRow(FACE_ID, hold()), faceRef)
    const after = stored(holdRow(FACE_ID, hold({area: '2226.50'})), faceRef)
    expect(changedFields(HOLDS, before, after)).toEqual([{field: 'area', from: 2226, to: 2226.5}])
  })
})

describe('IdRegistry', () => {
  it('resolves an id staged in the current transaction', () => {
    const ids = new IdRegistry()
    ids.stage('user', SETTER_ID, 'mastoc-user-1')
    expect(ids.get('user', SETTER_ID)).toBe('mastoc-user-1')
  })

  it('keeps committed ids and forgets discarded ones (a rolled-back batch leaves no reference behind)', () => {
    const ids = new IdRegistry()
    ids.stage('user', SETTER_ID, 'mastoc-user-1')
    ids.commit()
    ids.stage('face', FACE_ID, 'mastoc-face-1')
    ids.discard()
    expect(ids.get('user', SETTER_ID)).toBe('mastoc-user-1')
    expect(ids.get('face', FACE_ID)).toBeUndefined()
  })

  it('keeps entities apart even for the same Stokt id', () => {
    const ids = new IdRegistry()
    ids.stage('user', SETTER_ID, 'mastoc-user-1')
    ids.commit()
    expect(ids.get('climb', SETTER_ID)).toBeUndefined()
  })

  it('keeps a committed id when a later rolled-back transaction had staged another for it', () => {
    const ids = new IdRegistry()
    ids.stage('face', FACE_ID, 'mastoc-face-1')
    ids.commit()
    ids.stage('face', FACE_ID, 'mastoc-face-2')
    ids.discard()
    expect(ids.get('face', FACE_ID)).toBe('mastoc-face-1')
  })
})
