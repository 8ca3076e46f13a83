import {describe, expect, it} from 'vitest'

import {jsonText, jsonTextWithoutRecursion} from '../../../src/lib/stokt/jsonText.js'

describe('jsonText', () => {
  it('writes what JSON.stringify writes, without recursing', () => {
    const value = {a: 'x"y\\z\u2028', b: undefined, c: [null, undefined, 1.5, -0, true], d: {}, e: [], 'k"ey': {nested: [[{}]]}}
    expect(jsonTextWithoutRecursion(value)).toBe(JSON.stringify(value))
    expect(jsonTextWithoutRecursion([])).toBe('[]')
    expect(jsonTextWithoutRecursion('text')).toBe('"text"')
  })

  it('writes a value nested 5,000 arrays deep, which JSON.stringify cannot', () => {
    const text = `{"id":"x","deep":${'['.repeat(5000)}1${']'.repeat(5000)}}`
    const value: unknown = JSON.parse(text)
    expect(() => JSON.stringify(value)).toThrow(RangeError)
    expect(jsonText(value)).toBe(text)
  })
})
