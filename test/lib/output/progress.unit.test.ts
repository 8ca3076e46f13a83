import {describe, expect, it} from 'vitest'

import {barSize, rateAndEta, wrapped} from '../../../src/lib/output/progress.js'
import {formatSeconds} from '../../../src/lib/output/time.js'

describe('a progress bar’s rate and time left', () => {
  it('says 7 s are left with 300 of 1000 done in 3 s, however fast the last batch came', () => {
    // A batch of 300 recorded at once, 3 s after the bar started.
    const state = {done: 300, total: 1000, startedMs: 0, updatedMs: 3000}
    expect(rateAndEta(state, 3000)).toEqual({rate: 100, etaMs: 7000})
  })

  it('counts down between batches, and stops at 0', () => {
    const state = {done: 300, total: 1000, startedMs: 0, updatedMs: 3000}
    expect(rateAndEta(state, 5000).etaMs).toBe(5000)
    expect(rateAndEta(state, 20_000).etaMs).toBe(0)
  })

  it('has no rate before the first record, and no time left once done or without a total', () => {
    expect(rateAndEta({done: 0, total: 1000, startedMs: 0, updatedMs: 0}, 1000)).toEqual({})
    expect(rateAndEta({done: 1000, total: 1000, startedMs: 0, updatedMs: 2000}, 2500)).toEqual({rate: 500})
    expect(rateAndEta({done: 24, total: undefined, startedMs: 0, updatedMs: 2000}, 2500)).toEqual({rate: 12})
  })

  it('writes durations short', () => {
    expect([formatSeconds(7), formatSeconds(65), formatSeconds(7380)]).toEqual(['7s', '1m05s', '2h03m'])
  })
})

describe('lines printed above the bars', () => {
  it('are cut at a space to fit the terminal, the rest indented, and keep every word', () => {
    const warning = 'warning: GET /api/gyms/cb8bc41c-9e5e-4a16-bb12-74a4b4644d69/climbs page 5: HTTP 500; retrying in 0.7 s'
    const lines = wrapped(warning, 40).split('\n')
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(40)
    expect(lines.slice(1).every((line) => line.startsWith('  '))).toBe(true)
    expect(lines.join('').replace(/\s+/g, '')).toBe(warning.replace(/\s+/g, ''))
    expect(lines.at(-1)).toBe('  HTTP 500; retrying in 0.7 s')
    expect(
      wrapped('a'.repeat(100), 30)
        .split('\n')
        .map((line) => line.trim().length),
    ).toEqual([30, 28, 28, 14])
  })

  it('are left alone where the terminal says no width, or one too narrow to cut for', () => {
    expect(wrapped('x '.repeat(50), undefined)).toBe('x '.repeat(50))
    expect(wrapped('x '.repeat(50), 10)).toBe('x '.repeat(50))
  })

  it('leave the bar 30 wide, narrower on a narrow terminal, never under 10', () => {
    expect([undefined, 120, 72, 60, 40].map((columns) => barSize(columns))).toEqual([30, 30, 30, 18, 10])
  })
})
