/**
 * A deterministic generator of a Stokt gym, shaped like Stokt's real payloads (see the API notes:
 * same keys, same types, same string formats), for tests and the benchmark. Every value comes from
 * a seeded PRNG (mulberry32), never from Math.random or the clock: the same spec always gives the
 * same gym, byte for byte.
 *
 * Layout: `faces` faces on ceil(faces / 2) walls (two faces per wall, the last wall may have one).
 * The last face has `hasSymmetry: true`; its holds come in mirrored pairs (x -> width - x).
 * Hold ids are unique integers across the gym, ascending from 800000 with a few gaps.
 * Climbs are newest first, `dateCreated` spread over the 3 years before `now`, in Stokt's format
 * ("2025-12-17T10:56:38.491973-05:00": microseconds, a fixed -05:00 offset).
 *
 * Always present when climbs >= 10, so tests can rely on them (five "special" climbs, spread
 * through the list so they land on different pages):
 * - `Le "Grand" Dévers`: double quotes and é; set by setter 0; grade 6A+; a benchmark.
 * - `L’été à 200€`: ’, é and €; set by setter 1, a distinct user with the same `fullName` as
 *   setter 0 (needs setters >= 2); grade 4+; private.
 * - `Kōan de l'aube`: ō and '; `climbSetters: null`; ungraded.
 * - `Sans Signature`: no `climbSetters` key at all; ungraded.
 * - `Miroir Ōmbre`: set by the setter whose `avatar` is null (setter min(2, setters - 1)); grade 7B;
 *   on the symmetric face with a non-empty `mirrorHoldsList`.
 * Every third setter from setter 3 on has an empty `avatar` (""), Stokt's other way of saying none.
 * Ungraded means `crowdGrade` {"ircra": 0, "hueco": "?", "font": "?", "dankyu": "?"}.
 * Every setter sets at least one climb when there are enough climbs to go round.
 * Other climbs are random: some more are ungraded, private, benchmarks or mirrored.
 */

export interface GymSpec {
  seed?: number
  gymId?: string
  faces?: number
  holdsPerFace?: number
  climbs?: number
  setters?: number
  now?: Date
}

export interface GeneratedGym {
  gymId: string
  summary: Record<string, unknown>
  walls: Record<string, unknown>[]
  /** faceId -> the face's setup, as `GET /api/faces/{faceId}/setup` answers it. */
  setups: Map<string, Record<string, unknown>>
  /** Newest first (dateCreated descending), as the climbs endpoint pages them. */
  climbs: Record<string, unknown>[]
}

/** The generator's reference time when the spec gives none: fixed, so output is deterministic. */
export const DEFAULT_NOW = new Date('2026-11-01T12:00:00Z')

export const DEFAULT_GYM_SPEC = {
  seed: 1,
  faces: 3,
  holdsPerFace: 60,
  climbs: 120,
  setters: 12,
  now: DEFAULT_NOW,
} as const

/** The first hold id; Stokt's are six-digit integers. */
export const FIRST_HOLD_ID = 800000

/** Climbs are created over this many days before `now`. */
export const CLIMB_HISTORY_DAYS = 3 * 365

/** The names of the special climbs described at the top of this file. */
export const SPECIAL_CLIMB_NAMES = {
  quoted: 'Le "Grand" Dévers',
  sharedSetterName: 'L’été à 200€',
  nullSetter: "Kōan de l'aube",
  missingSetter: 'Sans Signature',
  mirrored: 'Miroir Ōmbre',
} as const

export const UNGRADED = {ircra: 0.0, hueco: '?', font: '?', dankyu: '?'} as const

export function generateGym(spec: GymSpec = {}): GeneratedGym {
  const options = {...DEFAULT_GYM_SPEC, ...withoutUndefined(spec)}
  validate(options)
  const {seed} = options

  // Independent streams per concern: changing the number of climbs leaves holds and setters as they were.
  const gymRng = new Prng(deriveSeed(seed, 'gym'))
  const generatedGymId = gymRng.uuid() // drawn even when overridden, so the rest of the gym stays the same
  const gymId = spec.gymId ?? generatedGymId
  const displayName = `${gymRng.pick(GYM_NAMES)} ${gymRng.int(1, 99)}`
  const locationString = gymRng.pick(LOCATIONS)

  const nowMs = options.now.getTime()
  const historyStartMs = nowMs - CLIMB_HISTORY_DAYS * DAY_MS
  const walls = buildWalls(new Prng(deriveSeed(seed, 'walls')), options.faces)
  const faces = buildFaces(new Prng(deriveSeed(seed, 'faces')), walls, options.faces, options.holdsPerFace, historyStartMs)
  const setters = buildSetters(new Prng(deriveSeed(seed, 'setters')), options.setters)
  const climbs = buildClimbs(new Prng(deriveSeed(seed, 'climbs')), {count: options.climbs, faces, walls, setters, nowMs})

  const climbsPerFace = new Map<string, number>()
  for (const climb of climbs) {
    const faceId = climb.faceId as string
    climbsPerFace.set(faceId, (climbsPerFace.get(faceId) ?? 0) + 1)
  }

  const setups = new Map<string, Record<string, unknown>>()
  for (const face of faces) {
    setups.set(face.id, {
      id: face.id,
      gym: displayName,
      wall: walls[face.wallIndex].name,
      picture: {name: face.pictureName, width: face.width, height: face.height},
      feetRulesOptions: walls[face.wallIndex].feetRules.map((rule) => rule.name),
      hasSymmetry: face.hasSymmetry,
      holds: face.holds,
    })
  }

  const wallRecords = walls.map((wall, wallIndex) => ({
    id: wall.id,
    name: wall.name,
    angle: null,
    isActive: true,
    faces: faces
      .filter((face) => face.wallIndex === wallIndex)
      .map((face) => ({
        id: face.id,
        isActive: true,
        dateModified: formatStoktDate(face.dateModifiedMs, face.dateModifiedMicros),
        smallPicture: face.smallPicture,
        totalClimbs: climbsPerFace.get(face.id) ?? 0,
      })),
    angles: [],
    defaultAngle: '',
    isAngleAdjustable: false,
  }))

  const managers = buildManagers(gymRng, setters)
  const numberOfSends = climbs.reduce((sum, climb) => sum + (climb.climbedBy as number), 0)
  const summary: Record<string, unknown> = {
    id: gymId,
    displayName,
    unit: 'FEET',
    numberOfClimbs: climbs.length,
    numberOfClimbers: setters.length + gymRng.int(0, 50),
    numberOfSends,
    isFavorite: false,
    walls: walls.map((wall) => ({
      id: wall.id,
      name: wall.name,
      dimensions: 'Feet',
      angle: null,
      width: null,
      height: null,
      isAngleAdjustable: false,
      feetRules: wall.feetRules.map((rule) => ({...rule})),
    })),
    pictures: [],
    isEditable: false,
    description: null,
    defaultPictures: faces.map((face) => `${face.pictureDirectory}/${gymRng.hex(32)}.jpg`),
    gymType: 'COMMERCIAL',
    gymManagers: managers,
    locationString,
    wallType: 'Commercial',
  }

  return {gymId, summary, walls: wallRecords, setups, climbs}
}

// ---------------------------------------------------------------------------------------------
// PRNG

/** mulberry32 with a few helpers; 32-bit state, fast enough for 100,000 climbs. */
class Prng {
  private state: number

  constructor(seed: number) {
    this.state = seed >>> 0
  }

  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }

  /** [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.uint32() / 4294967296
  }

  /** [0, 1) with 53 bits: microsecond timestamps over years need more than 32. */
  float53(): number {
    return ((this.uint32() >>> 5) * 67108864 + (this.uint32() >>> 6)) / 9007199254740992
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1))
  }

  chance(probability: number): boolean {
    return this.float() < probability
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]
  }

  weightedIndex(weights: readonly number[], total: number): number {
    let remaining = this.float() * total
    for (let i = 0; i < weights.length; i++) {
      remaining -= weights[i]
      if (remaining < 0) return i
    }
    return weights.length - 1
  }

  hex(length: number): string {
    let out = ''
    while (out.length < length) out += this.uint32().toString(16).padStart(8, '0')
    return out.slice(0, length)
  }

  alphanumeric(length: number): string {
    let out = ''
    for (let i = 0; i < length; i++) out += ALPHANUMERIC[Math.floor(this.float() * ALPHANUMERIC.length)]
    return out
  }

  /** A random (version 4, RFC 4122 variant) UUID, lowercase. */
  uuid(): string {
    const hex = this.hex(32).split('')
    hex[12] = '4'
    hex[16] = '89ab'[parseInt(hex[16], 16) & 3]
    const s = hex.join('')
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
  }
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Mixes the seed with a label (FNV-1a, then a murmur finaliser) into a sub-stream seed. */
function deriveSeed(seed: number, label: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0)
  for (let i = 0; i < label.length; i++) {
    hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193)
  }
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b)
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35)
  return (hash ^ (hash >>> 16)) >>> 0
}

// ---------------------------------------------------------------------------------------------
// Walls, faces, holds

interface FeetRule {
  name: string
  isDefault: boolean
}

interface WallModel {
  id: string
  name: string
  feetRules: FeetRule[]
  defaultFeetRule: string
}

interface FaceModel {
  id: string
  wallIndex: number
  width: number
  height: number
  pictureDirectory: string
  pictureName: string
  smallPicture: {name: string; width: number; height: number}
  hasSymmetry: boolean
  dateModifiedMs: number
  dateModifiedMicros: number
  holdIds: number[]
  /** For a symmetric face: mirrorIndex[i] is the index of hold i's mirror image. */
  mirrorIndex: number[] | null
  holds: Record<string, unknown>[]
}

const WALL_NAMES = ['Mur Ōsaka', 'Le Dévers', 'Pan d’entraînement', 'Board 40°', 'Spray wall', 'La Grotte']

// Invented rule sets; the second one's default is not its first rule, as a client must not assume it.
const FEET_RULE_SETS: readonly (readonly string[])[] = [
  ['Tous pieds', 'Pieds des mains', 'Pieds jaunes + mains', 'Sans pieds', 'Pieds définis'],
  ['Feet follow hands', 'All feet', 'No matching', 'Campus (no feet)', 'Kickboard only'],
]

function buildWalls(rng: Prng, faceCount: number): WallModel[] {
  const wallCount = Math.ceil(faceCount / 2)
  const walls: WallModel[] = []
  for (let i = 0; i < wallCount; i++) {
    const ruleNames = FEET_RULE_SETS[i % FEET_RULE_SETS.length]
    const defaultIndex = i % FEET_RULE_SETS.length === 0 ? 0 : 1
    const cycle = Math.floor(i / WALL_NAMES.length)
    walls.push({
      id: rng.uuid(),
      name: cycle === 0 ? WALL_NAMES[i] : `${WALL_NAMES[i % WALL_NAMES.length]} ${cycle + 1}`,
      feetRules: ruleNames.map((name, index) => ({name, isDefault: index === defaultIndex})),
      defaultFeetRule: ruleNames[defaultIndex],
    })
  }
  return walls
}

function buildFaces(rng: Prng, walls: WallModel[], faceCount: number, holdsPerFace: number, historyStartMs: number): FaceModel[] {
  const faces: FaceModel[] = []
  let nextHoldId = FIRST_HOLD_ID
  for (let faceIndex = 0; faceIndex < faceCount; faceIndex++) {
    const wallIndex = Math.floor(faceIndex / 2)
    const id = rng.uuid()
    const width = rng.int(1800, 2600)
    const height = Math.round((width * 4) / 3)
    const smallHeight = 450
    const directory = `CACHE/images/walls/${walls[wallIndex].id}/faces/${id}/ref_pic_${rng.alphanumeric(7)}`
    const hasSymmetry = faceIndex === faceCount - 1

    const holdIds: number[] = []
    for (let i = 0; i < holdsPerFace; i++) {
      holdIds.push(nextHoldId)
      // Real ids are not contiguous (holds get deleted): leave an occasional gap.
      nextHoldId += rng.chance(0.05) ? rng.int(2, 6) : 1
    }
    const shapes = hasSymmetry
      ? mirroredShapes(rng, holdsPerFace, width, height)
      : Array.from({length: holdsPerFace}, () => randomShape(rng, width, height))
    const holds = shapes.map((shape, i) => holdRecord(holdIds[i], shape, width, height))

    faces.push({
      id,
      wallIndex,
      width,
      height,
      pictureDirectory: directory,
      pictureName: `${directory}/${rng.hex(32)}.jpg`,
      smallPicture: {
        name: `${directory}_small.jpg`,
        width: Math.round((width * smallHeight) / height),
        height: smallHeight,
      },
      hasSymmetry,
      // The face was set up shortly before its first climb.
      dateModifiedMs: historyStartMs - rng.int(1, 48) * HOUR_MS - rng.int(0, 3599999),
      dateModifiedMicros: rng.int(0, 999),
      holdIds,
      mirrorIndex: hasSymmetry ? holdIds.map((_, i) => mirrorPartner(i, holdsPerFace)) : null,
      holds,
    })
  }
  return faces
}

/** Holds of a symmetric face come in adjacent pairs (0,1), (2,3)…; an odd last one mirrors itself. */
function mirrorPartner(index: number, count: number): number {
  if (index % 2 === 1) return index - 1
  return index + 1 < count ? index + 1 : index
}

type Point = [number, number]

interface HoldShape {
  outline: Point[]
  touch: Point[]
  top: Point[]
  centerTape: [Point, Point]
  rightTape: [Point, Point]
  leftTape: [Point, Point]
}

function randomShape(rng: Prng, width: number, height: number, centreX?: number): HoldShape {
  // Mostly small holds, a few large volumes: areas from a few hundred to tens of thousands of px².
  const radius = 14 + 30 * rng.float() ** 2 + (rng.chance(0.04) ? 60 * rng.float() : 0)
  const margin = radius * 2 + 20
  const cx = centreX ?? margin + rng.float() * (width - 2 * margin)
  const cy = margin + rng.float() * (height - 2 * margin - 120)
  const outline = blob(rng, cx, cy, radius, radius, rng.int(4, 12))
  const bottom = Math.max(...outline.map((p) => p[1]))
  return {
    outline,
    // The touch area reaches down over the tapes, as Stokt's does.
    touch: blob(rng, cx, cy + radius, radius * 1.5, radius * 2.4, rng.int(4, 10)),
    top: outline.map(([x, y]) => [cx + (x - cx) * 1.4, cy + (y - cy) * 1.4]),
    centerTape: [
      [cx, bottom],
      [cx + rng.float() * 40 - 20, bottom + 90 + rng.float() * 20],
    ],
    rightTape: [
      [cx + radius * 0.5, bottom],
      [cx + radius * 0.5 + 30, bottom + 95],
    ],
    leftTape: [
      [cx - radius * 0.5, bottom - 10],
      [cx - radius * 0.5 - 65, bottom + 75],
    ],
  }
}

function mirroredShapes(rng: Prng, count: number, width: number, height: number): HoldShape[] {
  const shapes: HoldShape[] = []
  for (let i = 0; i < count; i++) {
    if (i % 2 === 1) {
      shapes.push(mirrorShape(shapes[i - 1], width))
    } else if (i + 1 === count) {
      shapes.push(randomShape(rng, width, height, width / 2)) // its own mirror image: on the axis
    } else {
      shapes.push(randomShape(rng, width, height))
    }
  }
  return shapes
}

function mirrorShape(shape: HoldShape, width: number): HoldShape {
  const flip = (points: Point[]): Point[] => points.map(([x, y]) => [width - x, y])
  const flipTape = (tape: [Point, Point]): [Point, Point] => flip(tape) as [Point, Point]
  return {
    outline: flip(shape.outline).reverse(),
    touch: flip(shape.touch).reverse(),
    top: flip(shape.top).reverse(),
    centerTape: flipTape(shape.centerTape),
    rightTape: flipTape(shape.leftTape),
    leftTape: flipTape(shape.rightTape),
  }
}

/** A star-shaped polygon around (cx, cy), vertices in angle order so it never self-intersects. */
function blob(rng: Prng, cx: number, cy: number, rx: number, ry: number, vertexCount: number): Point[] {
  const points: Point[] = []
  const start = rng.float() * Math.PI * 2
  for (let i = 0; i < vertexCount; i++) {
    const angle = start + ((i + 0.2 + rng.float() * 0.6) / vertexCount) * Math.PI * 2
    const stretch = 0.75 + rng.float() * 0.5
    points.push([cx + Math.cos(angle) * rx * stretch, cy + Math.sin(angle) * ry * stretch])
  }
  return points
}

function holdRecord(id: number, shape: HoldShape, width: number, height: number): Record<string, unknown> {
  const clamp = ([x, y]: Point): Point => [Math.min(width, Math.max(0, x)), Math.min(height, Math.max(0, y))]
  const outline = shape.outline.map(clamp)
  const coords = ([x, y]: Point) => `${x.toFixed(2)},${y.toFixed(2)}`
  const spaced = ([x, y]: Point) => `${x.toFixed(2)} ${y.toFixed(2)}`
  const polygon = (points: Point[]) => points.map((p) => coords(clamp(p))).join(' ')
  const tape = (points: [Point, Point]) => `${spaced(clamp(points[0]))} ${spaced(clamp(points[1]))}`
  const {area, centroid} = areaAndCentroid(outline)
  return {
    id,
    // Stokt's areas are strings with two decimals, in quarter pixels.
    area: (Math.round(area * 4) / 4).toFixed(2),
    polygonStr: polygon(outline),
    touchPolygonStr: polygon(shape.touch),
    pathStr: `M${outline.map(coords).join('L')}z`,
    centroidStr: spaced(centroid),
    topPolygonStr: polygon(shape.top),
    centerTapeStr: tape(shape.centerTape),
    rightTapeStr: tape(shape.rightTape),
    leftTapeStr: tape(shape.leftTape),
  }
}

function areaAndCentroid(points: Point[]): {area: number; centroid: Point} {
  let doubleArea = 0
  let cx = 0
  let cy = 0
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i]
    const [x1, y1] = points[(i + 1) % points.length]
    const cross = x0 * y1 - x1 * y0
    doubleArea += cross
    cx += (x0 + x1) * cross
    cy += (y0 + y1) * cross
  }
  if (Math.abs(doubleArea) < 1e-9) {
    // Degenerate (clamped flat against an edge): fall back to the vertex average.
    const n = points.length
    return {area: 0, centroid: [points.reduce((s, p) => s + p[0], 0) / n, points.reduce((s, p) => s + p[1], 0) / n]}
  }
  return {area: Math.abs(doubleArea) / 2, centroid: [cx / (3 * doubleArea), cy / (3 * doubleArea)]}
}

// ---------------------------------------------------------------------------------------------
// Setters and managers

interface Setter {
  id: string
  fullName: string
  avatar: string | null
}

const FIRST_NAMES = [
  'Camille',
  'Élodie',
  'Noé',
  'Inès',
  'Jérôme',
  'Maëlle',
  'Théo',
  'Chloé',
  'Sacha',
  'Anaïs',
  'Grégoire',
  'Léa',
  'Ōta',
  'Björn',
  'François',
  'Renée',
  'Zoé',
  'Ulysse',
  'Dani',
  'Hélène',
]
const INITIALS = 'ABCDEFGHIJKLMNOPRSTVWZ'

/** Index of the setter whose avatar is null (see the top of the file). */
function avatarlessSetterIndex(setterCount: number): number {
  return Math.min(2, setterCount - 1)
}

function buildSetters(rng: Prng, count: number): Setter[] {
  const setters: Setter[] = []
  const usedNames = new Set<string>()
  for (let i = 0; i < count; i++) {
    const id = rng.uuid()
    let fullName: string
    if (i === 1) {
      fullName = setters[0].fullName // two users, one display name: a user is its id
    } else {
      do {
        fullName = `${rng.pick(FIRST_NAMES)} ${rng.pick(INITIALS.split(''))}.`
        if (usedNames.has(fullName) && usedNames.size >= 300) fullName = `${fullName.slice(0, -1)}${i}.`
      } while (usedNames.has(fullName))
    }
    usedNames.add(fullName)
    let avatar: string | null =
      i === avatarlessSetterIndex(count) ? null : `CACHE/images/users/avatars/${id.slice(0, 2)}/${id}_${rng.hex(7)}.jpg`
    if (i > 0 && i % 3 === 0) avatar = '' // as Stokt serves a third of a real gym's setters
    setters.push({id, fullName, avatar})
  }
  return setters
}

function buildManagers(rng: Prng, setters: Setter[]): Record<string, unknown>[] {
  // The first manager also sets climbs (same user id), as in a real gym; the second does not.
  const people = [
    setters.length > 0 ? {id: setters[0].id, name: setters[0].fullName} : {id: rng.uuid(), name: 'Xénia M.'},
    {id: rng.uuid(), name: 'Gérald P.'},
  ]
  return people.map(({id, name}) => {
    const file = `users/avatars/${id.slice(0, 2)}/${id}_${rng.hex(7)}.jpg`
    return {id, name, avatar: file, avatarThumbnail: `media/CACHE/images/${file}`}
  })
}

// ---------------------------------------------------------------------------------------------
// Climbs

interface Grade {
  font: string
  hueco: string
  dankyu: string
  ircra: number
  weight: number
}

// The usual Font / Hueco / Dan-Kyu / IRCRA correspondence; weights give a gym-like spread.
const GRADES: readonly Grade[] = [
  {font: '4', hueco: 'V0', dankyu: '6Q', ircra: 12.0, weight: 3},
  {font: '4+', hueco: 'V0', dankyu: '6Q', ircra: 13.25, weight: 4},
  {font: '5', hueco: 'V0', dankyu: '5Q', ircra: 14.25, weight: 4},
  {font: '5+', hueco: 'V1', dankyu: '5Q', ircra: 15.0, weight: 4},
  {font: '6A', hueco: 'V2', dankyu: '4Q', ircra: 15.5, weight: 7},
  {font: '6A+', hueco: 'V3', dankyu: '4Q', ircra: 16.5, weight: 8},
  {font: '6B', hueco: 'V3', dankyu: '3Q', ircra: 17.5, weight: 11},
  {font: '6B+', hueco: 'V4', dankyu: '3Q', ircra: 18.0, weight: 10},
  {font: '6C', hueco: 'V4', dankyu: '2Q', ircra: 18.5, weight: 12},
  {font: '6C+', hueco: 'V5', dankyu: '2Q', ircra: 19.5, weight: 8},
  {font: '7A', hueco: 'V6', dankyu: '1Q', ircra: 20.5, weight: 11},
  {font: '7A+', hueco: 'V7', dankyu: '1D', ircra: 21.5, weight: 7},
  {font: '7B', hueco: 'V8', dankyu: '1D+', ircra: 22.5, weight: 4},
  {font: '7B+', hueco: 'V9', dankyu: '2D', ircra: 23.5, weight: 1},
  {font: '7C', hueco: 'V9', dankyu: '2D+', ircra: 24.5, weight: 0.4},
  {font: '7C+', hueco: 'V10', dankyu: '3D', ircra: 25.5, weight: 0.2},
  {font: '8A', hueco: 'V11', dankyu: '3D+', ircra: 26.5, weight: 0.2},
]
const GRADE_WEIGHTS = GRADES.map((grade) => grade.weight)
const GRADE_WEIGHT_TOTAL = GRADE_WEIGHTS.reduce((a, b) => a + b, 0)

const NAME_HEADS = [
  'Le Toit',
  'La Dalle',
  'Crimp',
  'Réglette',
  'Bidoigt',
  'L’Arête',
  'Dévers',
  'Pince',
  'Mono',
  'Jeté',
  'Traversée',
  'Blue',
  'Acid',
  'Yellow',
  'Le Pilier',
  'Écaille',
  'Kōan',
  'Tsunami',
  'Noël',
  'Bloc',
]
const NAME_TAILS = [
  'Classique',
  'du Matin',
  'de l’Ours',
  "d'Automne",
  'Express',
  'Noire',
  'Étoilée',
  'Style',
  'Party',
  'Sans Pieds',
  'Rōnin',
  'à 5€',
  'Disco',
  'Sauvage',
  'Fantôme',
  'Royale',
]

const GYM_NAMES = ['Bloc’Ō', 'Grimpé', 'Vertige', 'La Prise', 'Crux Café', 'Dévers & Co']
const LOCATIONS = ['Lyon, France', 'Genève, Switzerland', 'Montréal, Canada', 'Besançon, France', 'Kyōto, Japan']

const DAY_MS = 86_400_000
const HOUR_MS = 3_600_000
/** Stokt answers in a fixed -05:00 offset. */
const STOKT_OFFSET_MS = -5 * HOUR_MS

type SetterChoice = number | 'null' | 'missing'

interface SpecialClimb {
  name: string
  setter: SetterChoice
  grade: 'ungraded' | string
  isBenchmark?: boolean
  isPrivate?: boolean
  mirrored?: boolean
}

function specialClimbs(setterCount: number): SpecialClimb[] {
  const setter = (index: number): SetterChoice => (setterCount === 0 ? 'null' : Math.min(index, setterCount - 1))
  return [
    {name: SPECIAL_CLIMB_NAMES.quoted, setter: setter(0), grade: '6A+', isBenchmark: true},
    {name: SPECIAL_CLIMB_NAMES.sharedSetterName, setter: setter(1), grade: '4+', isPrivate: true},
    {name: SPECIAL_CLIMB_NAMES.nullSetter, setter: 'null', grade: 'ungraded'},
    {name: SPECIAL_CLIMB_NAMES.missingSetter, setter: 'missing', grade: 'ungraded'},
    {
      name: SPECIAL_CLIMB_NAMES.mirrored,
      setter: setter(avatarlessSetterIndex(setterCount)),
      grade: '7B',
      mirrored: true,
    },
  ]
}

interface ClimbContext {
  count: number
  faces: FaceModel[]
  walls: WallModel[]
  setters: Setter[]
  nowMs: number
}

function buildClimbs(rng: Prng, {count, faces, walls, setters, nowMs}: ClimbContext): Record<string, unknown>[] {
  const offsetsUs = creationOffsetsMicros(rng, count)

  // Special climbs spread evenly through the list, so they land on different pages.
  const specialAt = new Map<number, SpecialClimb>()
  if (count >= 10) {
    const specials = specialClimbs(setters.length)
    specials.forEach((special, j) => specialAt.set(Math.floor(((j + 0.5) * count) / specials.length), special))
  }

  // Give every setter at least one climb, at random non-special positions.
  const setterAt = new Map<number, number>()
  const free: number[] = []
  for (let i = 0; i < count; i++) if (!specialAt.has(i)) free.push(i)
  for (let s = 0; s < setters.length && s < free.length; s++) {
    const j = s + Math.floor(rng.float() * (free.length - s))
    ;[free[s], free[j]] = [free[j], free[s]]
    setterAt.set(free[s], s)
  }

  const symmetricFace = faces.find((face) => face.hasSymmetry)
  const climbs: Record<string, unknown>[] = []
  for (let k = 0; k < count; k++) {
    const special = specialAt.get(k)

    // Draw every random value even when a special overrides it: the stream stays in step for later climbs.
    const id = rng.uuid()
    const randomFace = rng.pick(faces)
    const randomName = climbName(rng)
    const randomSetter = setters.length > 0 ? Math.floor(setters.length * rng.float() ** 2) : 0
    const randomGrade = rng.chance(0.03) ? null : GRADES[rng.weightedIndex(GRADE_WEIGHTS, GRADE_WEIGHT_TOTAL)]
    const ircraNudge = rng.chance(0.1) ? 0.25 : 0
    const randomMirror = rng.chance(0.5)
    const isPrivate = rng.chance(0.005)
    const isBenchmark = rng.chance(0.02)
    const climbedBy = rng.chance(0.4) ? 0 : rng.int(1, 40)
    const totalLikes = rng.chance(0.6) ? 0 : rng.int(1, 12)
    const totalComments = rng.chance(0.8) ? 0 : rng.chance(0.95) ? rng.int(1, 5) : rng.int(6, 35)
    const attemptsToSendOriginal = rng.chance(0.002) ? null : rng.chance(0.002) ? 1 : 0
    const hasLastAttempt = rng.chance(0.09)
    const lastAttemptFraction = rng.float()

    const face = special?.mirrored && symmetricFace ? symmetricFace : randomFace
    const wall = walls[face.wallIndex]
    const feetRule = rng.chance(0.8) ? wall.defaultFeetRule : rng.pick(wall.feetRules).name
    const holds = climbHolds(rng, face)
    const mirrored = face.mirrorIndex !== null && (special ? special.mirrored === true : randomMirror)

    const setterChoice: SetterChoice = special?.setter ?? setterAt.get(k) ?? (setters.length > 0 ? randomSetter : 'null')
    const gradeName = special?.grade
    const grade = gradeName === undefined ? randomGrade : gradeName === 'ungraded' ? null : gradeByFont(gradeName)
    const crowdGrade = grade
      ? {ircra: grade.ircra + (gradeName === undefined ? ircraNudge : 0), hueco: grade.hueco, font: grade.font, dankyu: grade.dankyu}
      : {...UNGRADED}

    const createdUs = offsetsUs[k]
    const {epochMs, micros} = instantBefore(nowMs, createdUs)
    const lastAttemptMs = epochMs + Math.floor(lastAttemptFraction * (nowMs - epochMs))

    const climb: Record<string, unknown> = {
      id,
      climbSetters: typeof setterChoice === 'number' ? {...setters[setterChoice]} : null,
      name: special?.name ?? randomName,
      holdsList: formatHolds(holds, face.holdIds, null),
      mirrorHoldsList: mirrored ? formatHolds(holds, face.holdIds, face.mirrorIndex) : '',
      feetRule,
      dateCreated: formatStoktDate(epochMs, micros),
      isPrivate: special ? special.isPrivate === true : isPrivate,
      isBenchmark: special ? special.isBenchmark === true : isBenchmark,
      crowdGrade,
      crowdGrades: [],
      faceId: face.id,
      wallId: wall.id,
      wallName: wall.name,
      isAngleAdjustable: false,
      climbedBy,
      totalLikes,
      totalComments,
      likedByUser: false,
      attemptsToSendMirror: 0,
      attemptsToSendOriginal,
      angle: '',
      bookmarkedByUser: false,
      hasSymmetric: mirrored,
      circuit: '',
      tags: '',
      // Stokt writes this one in UTC with milliseconds padded to six digits.
      lastAttemptDate: hasLastAttempt ? `${new Date(lastAttemptMs).toISOString().slice(0, 23)}000Z` : null,
      lastEffortDate: null,
      lastEffortIsFlashed: null,
    }
    if (setterChoice === 'missing') delete climb.climbSetters
    climbs.push(climb)
  }
  return climbs
}

/** How long before `now` each climb was created, in microseconds, ascending (so newest first). */
function creationOffsetsMicros(rng: Prng, count: number): Float64Array {
  const spanUs = CLIMB_HISTORY_DAYS * DAY_MS * 1000
  const offsets = new Float64Array(count)
  for (let i = 0; i < count; i++) offsets[i] = 1 + Math.floor(rng.float53() * (spanUs - 1))
  return offsets.sort()
}

/**
 * The instant `offsetUs` microseconds before `nowMs`, split into whole milliseconds and the
 * remaining microseconds: epoch microseconds exceed 2^53 and cannot be one JS number.
 */
function instantBefore(nowMs: number, offsetUs: number): {epochMs: number; micros: number} {
  const wholeMs = Math.ceil(offsetUs / 1000)
  return {epochMs: nowMs - wholeMs, micros: wholeMs * 1000 - offsetUs}
}

/** "2025-12-17T10:56:38.491973-05:00" for the instant epochMs + micros µs. */
function formatStoktDate(epochMs: number, micros: number): string {
  const local = new Date(epochMs + STOKT_OFFSET_MS).toISOString() // "YYYY-MM-DDTHH:MM:SS.mmmZ"
  return `${local.slice(0, 23)}${String(micros).padStart(3, '0')}-05:00`
}

function gradeByFont(font: string): Grade {
  const grade = GRADES.find((candidate) => candidate.font === font)
  if (!grade) throw new Error(`unknown grade ${font}`)
  return grade
}

function climbName(rng: Prng): string {
  let name = `${rng.pick(NAME_HEADS)} ${rng.pick(NAME_TAILS)}`
  if (rng.chance(0.1)) name += ` ${rng.int(2, 99)}`
  if (rng.chance(0.03)) name += rng.pick([' !', ' ?', '!!'])
  return name
}

interface ClimbHolds {
  start: number[]
  feet: number[]
  others: number[]
  tops: number[]
}

/** Hold indices (into the face's holds) by role; sizes follow a real gym's spread (mostly 6–11). */
function climbHolds(rng: Prng, face: FaceModel): ClimbHolds {
  const available = face.holdIds.length
  let size = rng.chance(0.04) ? rng.int(13, 24) : rng.chance(0.01) ? 2 : 4 + rng.int(0, 4) + rng.int(0, 4)
  size = Math.min(size, available)
  const picked = distinctIndices(rng, size, available)
  const startCount = size >= 4 && rng.chance(0.7) ? 2 : 1
  const topCount = size < 2 ? 0 : size >= 6 && rng.chance(0.05) ? 2 : 1
  const footCount = Math.min(rng.chance(0.3) ? rng.int(1, 3) : 0, size - startCount - topCount)
  const ascending = (a: number, b: number) => a - b
  const feetEnd = startCount + topCount + Math.max(0, footCount)
  return {
    start: picked.slice(0, startCount).sort(ascending),
    tops: picked.slice(startCount, startCount + topCount).sort(ascending),
    feet: picked.slice(startCount + topCount, feetEnd).sort(ascending),
    others: picked.slice(feetEnd).sort(ascending),
  }
}

function distinctIndices(rng: Prng, count: number, from: number): number[] {
  if (count * 2 > from) {
    // Dense pick: partial Fisher–Yates over all indices.
    const all = Array.from({length: from}, (_, i) => i)
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(rng.float() * (from - i))
      ;[all[i], all[j]] = [all[j], all[i]]
    }
    return all.slice(0, count)
  }
  const seen = new Set<number>()
  const out: number[] = []
  while (out.length < count) {
    const index = Math.floor(rng.float() * from)
    if (!seen.has(index)) {
      seen.add(index)
      out.push(index)
    }
  }
  return out
}

/** "S… F… O… T…", as Stokt orders them; with `mirrorIndex`, each hold replaced by its mirror image. */
function formatHolds(holds: ClimbHolds, holdIds: number[], mirrorIndex: number[] | null): string {
  const tokens: string[] = []
  const add = (role: string, indices: number[]) => {
    for (const index of indices) tokens.push(`${role}${holdIds[mirrorIndex ? mirrorIndex[index] : index]}`)
  }
  add('S', holds.start)
  add('F', holds.feet)
  add('O', holds.others)
  add('T', holds.tops)
  return tokens.join(' ')
}

// ---------------------------------------------------------------------------------------------

function withoutUndefined(spec: GymSpec): Partial<Omit<GymSpec, 'gymId'>> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(spec)) if (value !== undefined && key !== 'gymId') out[key] = value
  return out
}

function validate(options: Required<Omit<GymSpec, 'gymId'>>): void {
  const {seed, faces, holdsPerFace, climbs, setters, now} = options
  const isCount = (n: number) => Number.isInteger(n) && n >= 0
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`)
  if (!isCount(faces) || faces < 1) throw new RangeError(`faces must be an integer >= 1, got ${faces}`)
  if (!isCount(holdsPerFace) || holdsPerFace < 1) {
    throw new RangeError(`holdsPerFace must be an integer >= 1, got ${holdsPerFace}`)
  }
  if (!isCount(climbs)) throw new RangeError(`climbs must be an integer >= 0, got ${climbs}`)
  if (!isCount(setters)) throw new RangeError(`setters must be an integer >= 0, got ${setters}`)
  if (Number.isNaN(now.getTime())) throw new RangeError('now must be a valid date')
}
