import {describe, expect, it} from 'vitest'

import {parseRecord} from '../../../../src/lib/stokt/schema/common.js'
import {WallsSchema, type Walls} from '../../../../src/lib/stokt/schema/walls.js'

const WALL_A = '4c6e8a0b-2d4f-4a6c-9e0b-3d5f7a9c1e2f'
const WALL_B = '6e8a0c2d-4f6b-4c8e-a0b2-5f7b9d1e3a4c'
const FACE_A1 = '1f3b5d7e-9a0c-4e2a-b4c6-8e0a2c4e6f7a'
const FACE_A2 = '2a4c6e8f-0b1d-4f3b-c5d7-9f1b3d5f7a8b'
const FACE_B1 = '3b5d7f9a-1c2e-4a4c-d6e8-0a2c4e6a8b9c'

function face(id: string, isActive = true): Record<string, unknown> {
  return {
    id,
    isActive,
    dateModified: '2025-10-02T17:41:09.118274+02:00',
    smallPicture: {name: `CACHE/images/walls/${id}/small.jpg`, width: 270, height: 480},
    totalClimbs: 211,
  }
}

/** The shape of `GET /api/gyms/{gymId}/walls`. */
function stoktWalls(): Record<string, unknown>[] {
  return [
    {id: WALL_A, name: 'Pan principal', faces: [face(FACE_A1), face(FACE_A2, false)]},
    {id: WALL_B, name: 'Dévers 40°', faces: [face(FACE_B1)]},
  ]
}

function accepted(raw: unknown): Walls {
  const result = parseRecord(WallsSchema, raw)
  if (!result.ok) throw new Error(`expected the walls to be accepted, got: ${result.reason}`)
  return result.value
}

function rejected(raw: unknown): string {
  const result = parseRecord(WallsSchema, raw)
  if (result.ok) throw new Error(`expected the walls to be rejected, got: ${JSON.stringify(result.value)}`)
  return result.reason
}

function expectNamesField(reason: string, field: string): void {
  const parts = reason.split('; ').map((part) => part.slice(0, part.indexOf(':')))
  expect(parts, reason).toContain(field)
}

describe('WallsSchema', () => {
  it('accepts realistic walls and gives every face id, in order', () => {
    const walls = accepted(stoktWalls())
    expect(walls.map((wall) => wall.id)).toEqual([WALL_A, WALL_B])
    expect(walls.flatMap((wall) => wall.faces.map((f) => f.id))).toEqual([FACE_A1, FACE_A2, FACE_B1])
    expect(walls[0].faces[1].isActive).toBe(false)
    expect(walls[1].name).toBe('Dévers 40°')
  })

  it('accepts a gym without walls', () => {
    expect(accepted([])).toEqual([])
  })

  it('accepts a wall without faces, and a wall without a name', () => {
    const walls = accepted([
      {id: WALL_A, faces: []},
      {id: WALL_B, name: null, faces: [face(FACE_B1)]},
    ])
    expect(walls[0].faces).toEqual([])
    expect(walls[1].faces.map((f) => f.id)).toEqual([FACE_B1])
  })

  it('accepts a face without isActive', () => {
    expect(accepted([{id: WALL_A, faces: [{id: FACE_A1}]}])[0].faces[0].id).toBe(FACE_A1)
  })

  it.each([
    ['an object instead of an array', {results: stoktWalls()}, 'record'],
    ['null', null, 'record'],
  ])('rejects %s', (_, raw, field) => {
    expectNamesField(rejected(raw), field)
  })

  it('rejects a wall id that is not a UUID, naming its position', () => {
    const walls = stoktWalls()
    walls[1].id = 'wall-2'
    expectNamesField(rejected(walls), '1.id')
  })

  it('rejects a wall without faces, naming the field', () => {
    const walls = stoktWalls()
    delete walls[0].faces
    expectNamesField(rejected(walls), '0.faces')
  })

  it('rejects faces that are not an array', () => {
    const walls = stoktWalls()
    walls[0].faces = face(FACE_A1)
    expectNamesField(rejected(walls), '0.faces')
  })

  it('rejects a face id that is not a UUID, naming its path', () => {
    const walls = stoktWalls()
    walls[0].faces = [face(FACE_A1), face('face-2')]
    expectNamesField(rejected(walls), '0.faces.1.id')
  })

  it('rejects a face without an id, naming its path', () => {
    const walls = stoktWalls()
    walls[1].faces = [{isActive: true}]
    expectNamesField(rejected(walls), '1.faces.0.id')
  })

  it('rejects isActive that is not a boolean, naming its path', () => {
    const walls = stoktWalls()
    walls[0].faces = [{id: FACE_A1, isActive: 'yes'}]
    expectNamesField(rejected(walls), '0.faces.0.isActive')
  })

  it('rejects a wall name that is not text', () => {
    const walls = stoktWalls()
    walls[0].name = 12
    expectNamesField(rejected(walls), '0.name')
  })
})
