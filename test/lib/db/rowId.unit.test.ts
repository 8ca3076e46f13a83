import {describe, expect, it} from 'vitest'

import {newRowId} from '../../../src/lib/db/rowId.js'

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('newRowId', () => {
  it('makes RFC 9562 version 7 UUIDs carrying the current millisecond', () => {
    const before = Date.now()
    const id = newRowId()
    const after = Date.now()
    expect(id).toMatch(UUID_V7)
    const stamp = Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16)
    expect(stamp).toBeGreaterThanOrEqual(before)
    expect(stamp).toBeLessThanOrEqual(after)
  })

  it('gives ids that only grow, and never the same one twice, within one millisecond and across many', () => {
    const ids = Array.from({length: 50_000}, () => newRowId())
    expect(new Set(ids).size).toBe(ids.length)
    for (let index = 1; index < ids.length; index++) {
      if (!(ids[index] > ids[index - 1])) throw new Error(`${ids[index]} does not sort after ${ids[index - 1]}`)
    }
    for (const id of ids) if (!UUID_V7.test(id)) throw new Error(`not a UUIDv7: ${id}`)
  })
})
