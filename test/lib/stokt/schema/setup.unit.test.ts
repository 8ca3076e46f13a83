import {describe, expect, it} from 'vitest'

import {holdRow} from '../../../../src/lib/import/mapping.js'
import {parseRecord} from '../../../../src/lib/stokt/schema/common.js'
import {FaceSetupSchema, HoldSchema, type FaceSetup, type Hold} from '../../../../src/lib/stokt/schema/setup.js'

const FACE_ID = '5d9e2f71-0c4b-4a83-b6d7-e1f2a3b4c5d6'

function stoktHold(): Record<string, unknown> {
  return {
    id: 41207,
    area: '1834.50',
    polygonStr: '412.10,1203.44 398.00,1220.90 401.75,1251.30 430.62,1262.08',
    touchPolygonStr: '455.20,1310.00 462.81,1298.47 458.03,1215.66',
    pathStr: 'M412.10,1203.44L398.00,1220.90L401.75,1251.30L430.62,1262.08z',
    centroidStr: '415.87 1234.02',
    topPolygonStr: '405.33,1180.12 371.00,1214.75 371.00,1256.40',
    centerTapeStr: '418.90 1262.08 401.12 1340.55',
    rightTapeStr: '433.07 1262.08 455.90 1338.21',
    leftTapeStr: '404.48 1255.19 352.66 1311.73',
  }
}

function stoktSetup(): Record<string, unknown> {
  return {
    id: FACE_ID,
    gym: 'Bloc du Quai',
    wall: 'Pan Güllich',
    picture: {name: 'walls/5d9e2f71/face-2025.jpg', width: 1080, height: 1920},
    feetRulesOptions: ['Pieds libres', 'Pieds des mains', 'Pieds marqués'],
    hasSymmetry: true,
    holds: [stoktHold(), {...stoktHold(), id: 41208}],
  }
}

function hold(changes: Record<string, unknown> = {}, remove: string[] = []): Record<string, unknown> {
  const raw = {...stoktHold(), ...changes}
  for (const field of remove) delete raw[field]
  return raw
}

function setup(changes: Record<string, unknown> = {}, remove: string[] = []): Record<string, unknown> {
  const raw = {...stoktSetup(), ...changes}
  for (const field of remove) delete raw[field]
  return raw
}

function acceptedHold(raw: unknown): Hold {
  const result = parseRecord(HoldSchema, raw)
  if (!result.ok) throw new Error(`expected the hold to be accepted, got: ${result.reason}`)
  return result.value
}

function rejectedHold(raw: unknown): string {
  const result = parseRecord(HoldSchema, raw)
  if (result.ok) throw new Error(`expected the hold to be rejected, got: ${JSON.stringify(result.value)}`)
  return result.reason
}

function acceptedSetup(raw: unknown): FaceSetup {
  const result = parseRecord(FaceSetupSchema, raw)
  if (!result.ok) throw new Error(`expected the setup to be accepted, got: ${result.reason}`)
  return result.value
}

function rejectedSetup(raw: unknown): string {
  const result = parseRecord(FaceSetupSchema, raw)
  if (result.ok) throw new Error(`expected the setup to be rejected, got: ${JSON.stringify(result.value)}`)
  return result.reason
}

function expectNamesField(reason: string, field: string): void {
  const parts = reason.split('; ').map((part) => part.slice(0, part.indexOf(':')))
  expect(parts, reason).toContain(field)
}

describe('FaceSetupSchema', () => {
  it('accepts a realistic face setup', () => {
    const face = acceptedSetup(stoktSetup())
    expect(face).toMatchObject({
      id: FACE_ID,
      picture: {name: 'walls/5d9e2f71/face-2025.jpg', width: 1080, height: 1920},
      feetRulesOptions: ['Pieds libres', 'Pieds des mains', 'Pieds marqués'],
      hasSymmetry: true,
    })
    // Holds are validated one by one afterwards: they come through as received.
    expect(face.holds).toHaveLength(2)
    expect(face.holds[1]).toMatchObject({id: 41208, area: '1834.50'})
  })

  it('accepts a face with no holds yet', () => {
    expect(acceptedSetup(setup({holds: []})).holds).toEqual([])
  })

  it.each(['picture', 'feetRulesOptions', 'hasSymmetry'])('accepts a face without %s', (field) => {
    acceptedSetup(setup({}, [field]))
    acceptedSetup(setup({[field]: null}))
  })

  it('keeps accented feet rules verbatim', () => {
    expect(acceptedSetup(setup({feetRulesOptions: ['Pieds d’origine', 'Sans pieds — 0€']})).feetRulesOptions).toEqual([
      'Pieds d’origine',
      'Sans pieds — 0€',
    ])
  })

  it.each([
    ['id missing', {}, ['id'], 'id'],
    ['id not a UUID', {id: 'face-12'}, [], 'id'],
    ['id as a number', {id: 12}, [], 'id'],
    ['holds missing', {}, ['holds'], 'holds'],
    ['holds not an array', {holds: {41207: stoktHold()}}, [], 'holds'],
    ['picture not an object', {picture: 'face.jpg'}, [], 'picture'],
    ['picture.name missing', {picture: {width: 1080, height: 1920}}, [], 'picture.name'],
    ['picture.width negative', {picture: {name: 'f.jpg', width: -1080, height: 1920}}, [], 'picture.width'],
    ['picture.width not whole', {picture: {name: 'f.jpg', width: 1080.5, height: 1920}}, [], 'picture.width'],
    ['picture.height as text', {picture: {name: 'f.jpg', width: 1080, height: '1920'}}, [], 'picture.height'],
    ["picture.width past PostgreSQL's integer", {picture: {name: 'f.jpg', width: 3_000_000_000, height: 1920}}, [], 'picture.width'],
    ['feetRulesOptions not an array', {feetRulesOptions: 'Pieds libres'}, [], 'feetRulesOptions'],
    ['a feet rule not text', {feetRulesOptions: ['Pieds libres', 3]}, [], 'feetRulesOptions.1'],
    ['hasSymmetry as text', {hasSymmetry: 'yes'}, [], 'hasSymmetry'],
  ] as const)('rejects %s, naming the field', (_, changes, remove, field) => {
    expectNamesField(rejectedSetup(setup(changes, [...remove])), field)
  })

  it('rejects a setup that is not an object', () => {
    expect(rejectedSetup([stoktSetup()])).not.toBe('')
  })
})

describe('HoldSchema', () => {
  it('accepts a realistic hold, with area and centroid as numbers', () => {
    expect(acceptedHold(stoktHold())).toEqual({
      id: 41207,
      area: 1834.5,
      polygonStr: '412.10,1203.44 398.00,1220.90 401.75,1251.30 430.62,1262.08',
      pathStr: 'M412.10,1203.44L398.00,1220.90L401.75,1251.30L430.62,1262.08z',
      centroidStr: [415.87, 1234.02],
      centerTapeStr: '418.90 1262.08 401.12 1340.55',
      rightTapeStr: '433.07 1262.08 455.90 1338.21',
      leftTapeStr: '404.48 1255.19 352.66 1311.73',
    })
  })

  it('reads area "2226.00" as the number 2226', () => {
    expect(acceptedHold(hold({area: '2226.00'})).area).toBe(2226)
  })

  it('accepts an area sent as a number', () => {
    expect(acceptedHold(hold({area: 2226.25})).area).toBe(2226.25)
  })

  it('reads centroidStr "572.53 2397.11" as [572.53, 2397.11]', () => {
    expect(acceptedHold(hold({centroidStr: '572.53 2397.11'})).centroidStr).toEqual([572.53, 2397.11])
  })

  it('reads a centroid with integer or negative coordinates', () => {
    expect(acceptedHold(hold({centroidStr: '572 -3.5'})).centroidStr).toEqual([572, -3.5])
  })

  it('accepts a hold without its optional strings, area or centroid', () => {
    const bare = acceptedHold({id: 41207, polygonStr: '1,2 3,4 5,6'})
    expect(bare.id).toBe(41207)
    // Missing optional strings are stored as NULL, never as undefined (which a re-run would see as a change).
    const {values} = holdRow('face', bare)
    for (const column of ['path_str', 'center_tape_str', 'right_tape_str', 'left_tape_str'] as const) {
      expect(values[column], column).toBeNull()
    }
    expect(bare.area ?? null).toBeNull()
    expect(bare.centroidStr ?? null).toBeNull()
  })

  it.each([
    ['id missing', {}, ['id'], 'id'],
    ['id as text', {id: '41207'}, [], 'id'],
    ['id not whole', {id: 41207.5}, [], 'id'],
    ['id negative', {id: -41207}, [], 'id'],
    ['id zero', {id: 0}, [], 'id'],
    ['polygonStr missing', {}, ['polygonStr'], 'polygonStr'],
    ['polygonStr not text', {polygonStr: [[412.1, 1203.44]]}, [], 'polygonStr'],
    ['area not a decimal', {area: 'big'}, [], 'area'],
    ['area with a thousands separator', {area: '2,226.00'}, [], 'area'],
    ['area empty', {area: ''}, [], 'area'],
    ['area as a boolean', {area: true}, [], 'area'],
    ['centroid with one number', {centroidStr: '572.53'}, [], 'centroidStr'],
    ['centroid with a comma', {centroidStr: '572.53,2397.11'}, [], 'centroidStr'],
    ['centroid with three numbers', {centroidStr: '572.53 2397.11 10'}, [], 'centroidStr'],
    ['centroid of words', {centroidStr: 'x y'}, [], 'centroidStr'],
    ['centroid empty', {centroidStr: ''}, [], 'centroidStr'],
    ['centroid as an array', {centroidStr: [572.53, 2397.11]}, [], 'centroidStr'],
    // Digits a double cannot hold: Infinity, which the two databases would store differently.
    ['area of 400 digits', {area: '9'.repeat(400)}, [], 'area'],
    ['centroid with a coordinate of 400 digits', {centroidStr: `572.53 ${'9'.repeat(400)}`}, [], 'centroidStr'],
  ] as const)('rejects %s, naming the field', (_, changes, remove, field) => {
    expectNamesField(rejectedHold(hold(changes, [...remove])), field)
  })

  // JSON.parse reads 1e400 as Infinity: a number, out of range, not a malformed one.
  it.each([
    ['area 1e400', '{"area": 1e400}', 'area: out of range: too large a number'],
    ['area -1e400', '{"area": -1e400}', 'area: out of range: too large a number'],
    ['id 1e400', '{"id": 1e400}', 'id: out of range: too large a number'],
    ['id 1e300', '{"id": 1e300}', 'id: is more than 2147483647, the most the database keeps'],
    ['id 2^31', '{"id": 2147483648}', 'id: is more than 2147483647, the most the database keeps'],
    ['picture width 1e400', '{"picture": {"name": "p.jpg", "width": 1e400}}', 'picture.width: out of range: too large a number'],
  ])('says %s is out of range', (_, json, reason) => {
    const changes = JSON.parse(json) as Record<string, unknown>
    const schema = 'picture' in changes ? FaceSetupSchema : HoldSchema
    const raw = 'picture' in changes ? {...stoktSetup(), ...changes} : hold(changes)
    const result = parseRecord(schema, raw)
    expect(result).toEqual({ok: false, reason})
  })
  it('rejects a hold nested more than 32 levels deep, naming the field, and not its face', () => {
    const deepHold = JSON.parse(`{"id": 41209, "polygonStr": "1,2 3,4", "extra": ${'['.repeat(5000)}${']'.repeat(5000)}}`) as unknown
    expect(rejectedHold(deepHold)).toBe('extra: nested more than 32 levels deep')
    expect(parseRecord(FaceSetupSchema, {...stoktSetup(), holds: [deepHold]}, ['holds']).ok).toBe(true)
    expect(
      parseRecord(FaceSetupSchema, {...stoktSetup(), picture: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}),
    ).toEqual({
      ok: false,
      reason: 'picture: nested more than 32 levels deep',
    })
  })

  it('says an id below one must be positive', () => {
    expect(rejectedHold(hold({id: 0}))).toBe('id: must be positive')
  })
})
