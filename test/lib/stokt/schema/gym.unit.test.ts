import {describe, expect, it} from 'vitest'

import {gymRow} from '../../../../src/lib/import/mapping.js'
import {parseRecord} from '../../../../src/lib/stokt/schema/common.js'
import {GymSummarySchema, type GymSummary} from '../../../../src/lib/stokt/schema/gym.js'

const GYM_ID = '9b3e5c7a-1d2f-4e6b-8a0c-2f4d6e8a0b1c'

/** The shape of `GET /api/gyms/{gymId}/summary`, with what the importer ignores left in. */
function stoktGym(changes: Record<string, unknown> = {}, remove: string[] = []): Record<string, unknown> {
  const raw: Record<string, unknown> = {
    id: GYM_ID,
    displayName: 'Bloc du Quai',
    locationString: 'Lyon, France',
    walls: [{id: '4c6e8a0b-2d4f-4a6c-9e0b-3d5f7a9c1e2f', name: 'Pan principal', feetRules: ['Pieds libres']}],
    gymManagers: [{id: '7a9c1e3f-5b7d-4f1a-8c2e-4b6d8f0a2c3e', fullName: 'Hugo M.'}],
    totalClimbs: 418,
    totalFaces: 2,
    ...changes,
  }
  for (const field of remove) delete raw[field]
  return raw
}

function accepted(raw: unknown): GymSummary {
  const result = parseRecord(GymSummarySchema, raw)
  if (!result.ok) throw new Error(`expected the gym to be accepted, got: ${result.reason}`)
  return result.value
}

function rejected(raw: unknown): string {
  const result = parseRecord(GymSummarySchema, raw)
  if (result.ok) throw new Error(`expected the gym to be rejected, got: ${JSON.stringify(result.value)}`)
  return result.reason
}

function expectNamesField(reason: string, field: string): void {
  const parts = reason.split('; ').map((part) => part.slice(0, part.indexOf(':')))
  expect(parts, reason).toContain(field)
}

describe('GymSummarySchema', () => {
  it('accepts a realistic gym summary', () => {
    expect(accepted(stoktGym())).toMatchObject({id: GYM_ID, displayName: 'Bloc du Quai', locationString: 'Lyon, France'})
  })

  it('stores a null or missing location as none', () => {
    expect(gymRow(accepted(stoktGym({locationString: null}))).values.location_string).toBeNull()
    expect(gymRow(accepted(stoktGym({}, ['locationString']))).values.location_string).toBeNull()
  })

  it('keeps accents, apostrophes, symbols and SQL-shaped text verbatim', () => {
    const displayName = "L’Escale d'Ève — 5€ la séance'); DROP TABLE gyms;--"
    const locationString = 'Saint-Étienne, Auvergne-Rhône-Alpes'
    expect(accepted(stoktGym({displayName, locationString}))).toMatchObject({displayName, locationString})
  })

  it("leaves the name's length to the database's width (the server's VARCHAR, checked as the row is written)", () => {
    const name = 'g'.repeat(300)
    expect(accepted(stoktGym({displayName: name})).displayName).toBe(name)
  })

  it.each([
    ['id missing', {}, ['id'], 'id'],
    ['id not a UUID', {id: 'montoboard'}, [], 'id'],
    ['id as a number', {id: 149}, [], 'id'],
    ['displayName missing', {}, ['displayName'], 'displayName'],
    ['displayName null', {displayName: null}, [], 'displayName'],
    ['displayName as a number', {displayName: 7}, [], 'displayName'],
    ['locationString as a number', {locationString: 69002}, [], 'locationString'],
  ] as const)('rejects %s, naming the field', (_, changes, remove, field) => {
    expectNamesField(rejected(stoktGym(changes, [...remove])), field)
  })

  it.each([null, 'Bloc du Quai', [stoktGym()]])('rejects a summary that is not an object (%j)', (raw) => {
    expect(rejected(raw)).not.toBe('')
  })
})
