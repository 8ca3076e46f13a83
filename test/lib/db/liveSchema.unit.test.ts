import {describe, expect, it} from 'vitest'

import {charactersOver, schemaProblems, type LiveColumn, type LiveTable} from '../../../src/lib/db/liveSchema.js'
import {CLIMBS, writtenColumns} from '../../../src/lib/db/tables.js'

describe('charactersOver', () => {
  it('counts characters as the database does: 255 emoji fit a VARCHAR(255)', () => {
    expect(charactersOver('🧗'.repeat(255), 255)).toBeUndefined()
    expect(charactersOver('🧗'.repeat(256), 255)).toBe(256)
  })

  it('takes a 255-character name whole, accents included, and counts a longer one', () => {
    expect(charactersOver('é'.repeat(200) + 'x'.repeat(55), 255)).toBeUndefined()
    expect(charactersOver('n'.repeat(256), 255)).toBe(256)
  })
})

/** The climbs table as the server's PostgreSQL schema has it, plus `extra`. */
function climbsTable(changes: Record<string, Partial<LiveColumn> | null> = {}): Map<string, LiveTable> {
  const columns = new Map<string, LiveColumn>()
  const types = {text: 'varchar', uuid: 'uuid', integer: 'int4', real: 'float8', boolean: 'bool', json: 'json', instant: 'timestamp'}
  for (const {name, kind} of writtenColumns(CLIMBS)) columns.set(name, {name, type: types[kind], nullable: true, filled: false})
  for (const name of ['description', 'personal_notes', 'updated_at']) columns.set(name, {name, type: 'text', nullable: true, filled: false})
  for (const [name, change] of Object.entries(changes)) {
    if (change === null) columns.delete(name)
    else columns.set(name, {name, type: 'text', nullable: true, filled: false, ...columns.get(name), ...change})
  }
  return new Map([['climbs', columns]])
}

describe('schemaProblems', () => {
  it('finds none in the server schema, nor with extra columns that are nullable or have a default', () => {
    expect(schemaProblems('postgres', [CLIMBS], climbsTable())).toEqual([])
    expect(
      schemaProblems('postgres', [CLIMBS], climbsTable({difficulty: {nullable: true}, rating: {nullable: false, filled: true}})),
    ).toEqual([])
  })

  it('names a NOT NULL column without a default that the importer does not fill, and what to do', () => {
    expect(schemaProblems('postgres', [CLIMBS], climbsTable({difficulty: {nullable: false}}))).toEqual([
      'climbs.difficulty is NOT NULL without a default, and the importer has no value for it: give it a default in the database (ALTER TABLE climbs ALTER COLUMN difficulty SET DEFAULT …) or make it nullable',
    ])
  })

  it('names a column it writes that is missing, and one of a type it cannot write', () => {
    expect(schemaProblems('postgres', [CLIMBS], climbsTable({grade_font: null, total_likes: {type: 'varchar'}}))).toEqual([
      "climbs.grade_font is missing, and the importer writes it: bring the mastoc server's schema up to date on this database",
      "climbs.total_likes is of type varchar, where the importer writes an integer: give it the mastoc server's type",
    ])
  })

  it('names a missing table', () => {
    expect(schemaProblems('sqlite', [CLIMBS], new Map())).toEqual([
      'the table climbs is missing: run `mastoc db migrate`, or start the mastoc server once, on this database',
    ])
  })
})
