import {describe, expect, it} from 'vitest'

import {rateAndEta} from '../../../src/lib/output/progress.js'
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
