import {describe, expect, it, vi} from 'vitest'
import {CLIMB_HISTORY_DAYS, DEFAULT_NOW, FIRST_HOLD_ID, SPECIAL_CLIMB_NAMES, generateGym, type GeneratedGym} from './gymGenerator.js'

type Json = Record<string, unknown>

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const STOKT_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}-05:00$/
const NUMBER = String.raw`-?\d+\.\d{2}`
const POINT = `${NUMBER},${NUMBER}`
const POLYGON = new RegExp(`^${POINT}( ${POINT}){2,}$`)
const PATH = new RegExp(`^M${POINT}(L${POINT}){2,}z$`)
const CENTROID = new RegExp(`^${NUMBER} ${NUMBER}$`)
const TAPE = new RegExp(`^${NUMBER} ${NUMBER} ${NUMBER} ${NUMBER}$`)
const HOLD_TOKEN = /^([SOFT])(\d+)$/

// The keys of a real Stokt climb, in Stokt's order.
const CLIMB_KEYS = [
  'id',
  'climbSetters',
  'name',
  'holdsList',
  'mirrorHoldsList',
  'feetRule',
  'dateCreated',
  'isPrivate',
  'isBenchmark',
  'crowdGrade',
  'crowdGrades',
  'faceId',
  'wallId',
  'wallName',
  'isAngleAdjustable',
  'climbedBy',
  'totalLikes',
  'totalComments',
  'likedByUser',
  'attemptsToSendMirror',
  'attemptsToSendOriginal',
  'angle',
  'bookmarkedByUser',
  'hasSymmetric',
  'circuit',
  'tags',
  'lastAttemptDate',
  'lastEffortDate',
  'lastEffortIsFlashed',
]
const HOLD_KEYS = [
  'id',
  'area',
  'polygonStr',
  'touchPolygonStr',
  'pathStr',
  'centroidStr',
  'topPolygonStr',
  'centerTapeStr',
  'rightTapeStr',
  'leftTapeStr',
]

const holdsOf = (gym: GeneratedGym, faceId: string) => gym.setups.get(faceId)!.holds as Json[]
const allHolds = (gym: GeneratedGym) => [...gym.setups.values()].flatMap((setup) => setup.holds as Json[])
const tokens = (list: string) => (list === '' ? [] : list.split(' '))
const setterOf = (climb: Json) => climb.climbSetters as {id: string; fullName: string; avatar: string | null} | null | undefined
const byName = (gym: GeneratedGym, name: string) => gym.climbs.find((climb) => climb.name === name)!

describe('generateGym', () => {
  const gym = generateGym()

  it('is deterministic for a seed and differs between seeds', () => {
    expect(JSON.stringify(serialise(generateGym()))).toBe(JSON.stringify(serialise(gym)))
    expect(JSON.stringify(serialise(generateGym({seed: 2})))).not.toBe(JSON.stringify(serialise(gym)))
  })

  it('never calls Math.random', () => {
    const random = vi.spyOn(Math, 'random').mockImplementation(() => {
      throw new Error('Math.random called')
    })
    try {
      expect(() => generateGym({seed: 9, climbs: 50})).not.toThrow()
    } finally {
      random.mockRestore()
    }
  })

  it('has the default counts: 3 faces on 2 walls, 60 holds each, 120 climbs, 12 setters', () => {
    expect(gym.walls).toHaveLength(2)
    expect(gym.walls.flatMap((wall) => wall.faces as Json[])).toHaveLength(3)
    expect(gym.setups.size).toBe(3)
    for (const setup of gym.setups.values()) expect(setup.holds).toHaveLength(60)
    expect(gym.climbs).toHaveLength(120)
    const setterIds = new Set(gym.climbs.map((climb) => setterOf(climb)?.id).filter(Boolean))
    expect(setterIds.size).toBe(12)
  })

  it('honours the spec', () => {
    const custom = generateGym({seed: 5, gymId: 'be149ef2-0000-4000-8000-000000000000', faces: 5, holdsPerFace: 10, climbs: 40, setters: 3})
    expect(custom.gymId).toBe('be149ef2-0000-4000-8000-000000000000')
    expect(custom.summary.id).toBe(custom.gymId)
    expect(custom.walls).toHaveLength(3)
    expect(custom.setups.size).toBe(5)
    expect(custom.climbs).toHaveLength(40)
    expect(new Set(custom.climbs.map((climb) => setterOf(climb)?.id).filter(Boolean)).size).toBe(3)
    // Overriding the gym id leaves the rest of the gym as it was.
    expect(custom.summary.displayName).toBe(generateGym({seed: 5, faces: 5, holdsPerFace: 10, climbs: 40, setters: 3}).summary.displayName)
  })

  it('rejects impossible specs', () => {
    expect(() => generateGym({faces: 0})).toThrow(RangeError)
    expect(() => generateGym({climbs: -1})).toThrow(RangeError)
    expect(() => generateGym({holdsPerFace: 1.5})).toThrow(RangeError)
  })

  it('makes lowercase v4 uuids, unique across the gym', () => {
    const ids = [
      gym.gymId,
      ...gym.walls.map((wall) => wall.id),
      ...gym.walls.flatMap((wall) => (wall.faces as Json[]).map((face) => face.id)),
      ...gym.climbs.map((climb) => climb.id),
      ...new Set(gym.climbs.map((climb) => setterOf(climb)?.id).filter(Boolean)),
    ] as string[]
    for (const id of ids) expect(id).toMatch(UUID_V4)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it('makes hold ids unique integers across the gym, from 800000', () => {
    const ids = allHolds(gym).map((hold) => hold.id as number)
    for (const id of ids) expect(Number.isInteger(id)).toBe(true)
    expect(new Set(ids).size).toBe(ids.length)
    expect(Math.min(...ids)).toBe(FIRST_HOLD_ID)
  })

  it('shapes holds like Stokt', () => {
    for (const hold of allHolds(gym)) {
      expect(Object.keys(hold)).toEqual(HOLD_KEYS)
      expect(hold.area).toMatch(/^\d+\.\d{2}$/)
      expect(Number(hold.area)).toBeGreaterThan(0)
      expect(hold.polygonStr).toMatch(POLYGON)
      expect(hold.touchPolygonStr).toMatch(POLYGON)
      expect(hold.topPolygonStr).toMatch(POLYGON)
      expect(hold.pathStr).toMatch(PATH)
      expect(hold.pathStr).toBe(`M${(hold.polygonStr as string).split(' ').join('L')}z`)
      expect(hold.centroidStr).toMatch(CENTROID)
      expect(hold.centerTapeStr).toMatch(TAPE)
      expect(hold.rightTapeStr).toMatch(TAPE)
      expect(hold.leftTapeStr).toMatch(TAPE)
    }
  })

  it('shapes setups, walls and the summary like Stokt', () => {
    const summaryWalls = gym.summary.walls as Json[]
    expect(gym.summary).toMatchObject({id: gym.gymId, unit: 'FEET', numberOfClimbs: 120, gymType: 'COMMERCIAL'})
    expect(typeof gym.summary.displayName).toBe('string')
    expect(typeof gym.summary.locationString).toBe('string')
    expect(gym.summary.gymManagers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({id: expect.stringMatching(UUID_V4), name: expect.any(String), avatar: expect.any(String)}),
      ]),
    )
    expect(summaryWalls.map((wall) => wall.id)).toEqual(gym.walls.map((wall) => wall.id))

    for (const [wallIndex, wall] of gym.walls.entries()) {
      expect(Object.keys(wall)).toEqual(['id', 'name', 'angle', 'isActive', 'faces', 'angles', 'defaultAngle', 'isAngleAdjustable'])
      const feetRules = summaryWalls[wallIndex].feetRules as {name: string; isDefault: boolean}[]
      expect(feetRules.filter((rule) => rule.isDefault)).toHaveLength(1)
      for (const face of wall.faces as Json[]) {
        expect(Object.keys(face)).toEqual(['id', 'isActive', 'dateModified', 'smallPicture', 'totalClimbs'])
        expect(face.dateModified).toMatch(STOKT_DATE)
        expect(face.smallPicture).toEqual({name: expect.stringMatching(/_small\.jpg$/), width: expect.any(Number), height: 450})
        expect(face.totalClimbs).toBe(gym.climbs.filter((climb) => climb.faceId === face.id).length)

        const setup = gym.setups.get(face.id as string)!
        expect(Object.keys(setup)).toEqual(['id', 'gym', 'wall', 'picture', 'feetRulesOptions', 'hasSymmetry', 'holds'])
        expect(setup).toMatchObject({id: face.id, gym: gym.summary.displayName, wall: wall.name})
        expect(setup.picture).toEqual({name: expect.stringMatching(/\.jpg$/), width: expect.any(Number), height: expect.any(Number)})
        expect(setup.feetRulesOptions).toEqual(feetRules.map((rule) => rule.name))
        expect(typeof setup.hasSymmetry).toBe('boolean')
      }
    }
  })

  it('shapes climbs like Stokt, newest first over the 3 years before now', () => {
    const walls = new Map(gym.walls.map((wall) => [wall.id, wall]))
    const oldestAllowed = DEFAULT_NOW.getTime() - CLIMB_HISTORY_DAYS * 86_400_000
    let previous = Number.POSITIVE_INFINITY
    for (const climb of gym.climbs) {
      expect(Object.keys(climb)).toEqual('climbSetters' in climb ? CLIMB_KEYS : CLIMB_KEYS.filter((key) => key !== 'climbSetters'))
      expect(climb.id).toMatch(UUID_V4)
      expect(typeof climb.name).toBe('string')
      expect(climb.dateCreated).toMatch(STOKT_DATE)
      const created = Date.parse(climb.dateCreated as string)
      expect(created).toBeLessThanOrEqual(previous)
      expect(created).toBeGreaterThanOrEqual(oldestAllowed)
      expect(created).toBeLessThan(DEFAULT_NOW.getTime())
      previous = created

      const setter = setterOf(climb)
      if (setter) {
        expect(Object.keys(setter)).toEqual(['id', 'fullName', 'avatar'])
        expect(setter.avatar === null || typeof setter.avatar === 'string').toBe(true)
      }
      for (const key of ['isPrivate', 'isBenchmark', 'isAngleAdjustable', 'likedByUser', 'bookmarkedByUser', 'hasSymmetric']) {
        expect(typeof climb[key]).toBe('boolean')
      }
      for (const key of ['climbedBy', 'totalLikes', 'totalComments', 'attemptsToSendMirror']) {
        expect(Number.isInteger(climb[key])).toBe(true)
      }
      const grade = climb.crowdGrade as Json
      expect(Object.keys(grade)).toEqual(['ircra', 'hueco', 'font', 'dankyu'])
      expect(typeof grade.ircra).toBe('number')
      for (const key of ['hueco', 'font', 'dankyu']) expect(typeof grade[key]).toBe('string')
      expect(climb.crowdGrades).toEqual([])
      if (climb.lastAttemptDate !== null) expect(climb.lastAttemptDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}000Z$/)

      const wall = walls.get(climb.wallId as string)!
      expect(climb.wallName).toBe(wall.name)
      expect((wall.faces as Json[]).map((face) => face.id)).toContain(climb.faceId)
      expect(gym.setups.get(climb.faceId as string)!.feetRulesOptions).toContain(climb.feetRule)
    }
  })

  it("refers, in every holdsList and mirrorHoldsList, to holds of the climb's own face", () => {
    for (const climb of gym.climbs) {
      const faceHoldIds = new Set(holdsOf(gym, climb.faceId as string).map((hold) => hold.id))
      const holds = tokens(climb.holdsList as string)
      expect(holds.length).toBeGreaterThan(0)
      expect(holds[0]).toMatch(/^S/)
      expect(holds.filter((token) => token.startsWith('T'))).not.toHaveLength(0)
      for (const token of [...holds, ...tokens(climb.mirrorHoldsList as string)]) {
        const [, , id] = HOLD_TOKEN.exec(token) ?? []
        expect(faceHoldIds.has(Number(id)), `${token} of ${climb.name as string}`).toBe(true)
      }
      expect(new Set(holds).size).toBe(holds.length)
    }
  })

  describe('special cases', () => {
    it('has accented and quoted names', () => {
      const names = gym.climbs.map((climb) => climb.name as string).join('\n')
      for (const fragment of ['é', 'ō', '’', "'", '€', '"']) expect(names).toContain(fragment)
      for (const name of Object.values(SPECIAL_CLIMB_NAMES)) expect(byName(gym, name)).toBeDefined()
    })

    it('has two distinct setters sharing one fullName', () => {
      const first = setterOf(byName(gym, SPECIAL_CLIMB_NAMES.quoted))!
      const second = setterOf(byName(gym, SPECIAL_CLIMB_NAMES.sharedSetterName))!
      expect(first.fullName).toBe(second.fullName)
      expect(first.id).not.toBe(second.id)
    })

    it('has a climb with climbSetters null and one without the key', () => {
      expect(byName(gym, SPECIAL_CLIMB_NAMES.nullSetter).climbSetters).toBeNull()
      expect('climbSetters' in byName(gym, SPECIAL_CLIMB_NAMES.missingSetter)).toBe(false)
      expect(gym.climbs.filter((climb) => climb.climbSetters === null)).toHaveLength(1)
      expect(gym.climbs.filter((climb) => !('climbSetters' in climb))).toHaveLength(1)
    })

    it('has a setter with a null avatar', () => {
      expect(setterOf(byName(gym, SPECIAL_CLIMB_NAMES.mirrored))!.avatar).toBeNull()
    })

    it('has ungraded climbs and grades like 6A+, 4+, 7B', () => {
      const ungraded = gym.climbs.filter((climb) => (climb.crowdGrade as Json).font === '?')
      expect(ungraded.length).toBeGreaterThanOrEqual(2)
      for (const climb of ungraded) expect(climb.crowdGrade).toEqual({ircra: 0, hueco: '?', font: '?', dankyu: '?'})
      const fonts = new Set(gym.climbs.map((climb) => (climb.crowdGrade as Json).font))
      for (const font of ['6A+', '4+', '7B']) expect(fonts).toContain(font)
    })

    it('has a benchmark and a private climb', () => {
      expect(byName(gym, SPECIAL_CLIMB_NAMES.quoted).isBenchmark).toBe(true)
      expect(byName(gym, SPECIAL_CLIMB_NAMES.sharedSetterName).isPrivate).toBe(true)
    })

    it('has a symmetric face and a mirrored climb on it', () => {
      const mirrored = byName(gym, SPECIAL_CLIMB_NAMES.mirrored)
      expect(gym.setups.get(mirrored.faceId as string)!.hasSymmetry).toBe(true)
      expect(mirrored.mirrorHoldsList).not.toBe('')
      expect(tokens(mirrored.mirrorHoldsList as string)).toHaveLength(tokens(mirrored.holdsList as string).length)
      // Each mirrored hold is the original's mirror image across the picture's vertical axis.
      const setup = gym.setups.get(mirrored.faceId as string)!
      const width = (setup.picture as {width: number}).width
      const centroids = new Map(
        holdsOf(gym, setup.id as string).map((hold) => [hold.id, (hold.centroidStr as string).split(' ').map(Number)]),
      )
      const original = tokens(mirrored.holdsList as string)
      tokens(mirrored.mirrorHoldsList as string).forEach((token, i) => {
        expect(token[0]).toBe(original[i][0])
        const [x, y] = centroids.get(Number(original[i].slice(1)))!
        const [mirrorX, mirrorY] = centroids.get(Number(token.slice(1)))!
        expect(mirrorX).toBeCloseTo(width - x, 1)
        expect(mirrorY).toBeCloseTo(y, 1)
      })
      // Only climbs on a symmetric face are mirrored.
      for (const climb of gym.climbs.filter((climb) => climb.mirrorHoldsList !== '')) {
        expect(gym.setups.get(climb.faceId as string)!.hasSymmetry).toBe(true)
      }
    })

    it('holds with as few as 10 climbs, 1 face and 1 setter', () => {
      const small = generateGym({seed: 3, faces: 1, holdsPerFace: 4, climbs: 10, setters: 1})
      expect(small.climbs).toHaveLength(10)
      for (const name of Object.values(SPECIAL_CLIMB_NAMES)) expect(byName(small, name)).toBeDefined()
      expect(byName(small, SPECIAL_CLIMB_NAMES.mirrored).mirrorHoldsList).not.toBe('')
    })
  })

  it('moves with now', () => {
    const now = new Date('2030-01-01T00:00:00Z')
    const later = generateGym({now})
    expect(Date.parse(later.climbs[0].dateCreated as string)).toBeLessThan(now.getTime())
    expect(Date.parse(later.climbs[0].dateCreated as string)).toBeGreaterThan(Date.parse(gym.climbs[0].dateCreated as string))
  })

  // How long it takes is the bench's to show (it generates this gym): no test asserts a time.
  it("generates the bench's largest gym, 50 faces × 800 holds and 100,000 climbs, every climb id its own", () => {
    const big = generateGym({faces: 50, holdsPerFace: 800, climbs: 100_000})
    expect(big.climbs).toHaveLength(100_000)
    expect(big.setups.size).toBe(50)
    expect(allHolds(big)).toHaveLength(40_000)
    expect(new Set(big.climbs.map((climb) => climb.id)).size).toBe(100_000)
  }, 30_000)
})

/** A JSON-friendly view of a gym (Maps do not stringify). */
function serialise(gym: GeneratedGym): unknown {
  return {...gym, setups: [...gym.setups]}
}
