import {describe, expect, it} from 'vitest'

import {ImportFailure, ImportInterrupted, withSummary} from '../../../src/lib/import/failures.js'
import {SummaryTally} from '../../../src/lib/import/summary.js'
import {StoktError} from '../../../src/lib/stokt/source.js'

const GYM = '9b3e5c7a-1d2f-4e6b-8a0c-2f4d6e8a0b1c'

function summaryWithOneRejected() {
  const tally = new SummaryTally()
  tally.add('climb', {kind: 'error', stoktId: 'c1', reason: 'name: expected a string'})
  return tally.toSummary({gym: GYM, strategy: 'batch', batchSize: 100, dryRun: false, durationMs: 5})
}

describe('withSummary: the failure runImport throws, with what the run had done', () => {
  it('keeps the message and the cause, and carries the summary given', () => {
    const cause = new StoktError('Stokt answered 503', 'GET /api/gyms', 503)
    const thrown = new ImportFailure(cause.message, {cause})
    const summary = summaryWithOneRejected()

    const failure = withSummary(thrown, summary)

    expect(failure).toBeInstanceOf(ImportFailure)
    expect(failure).not.toBeInstanceOf(ImportInterrupted)
    expect(failure.message).toBe(thrown.message)
    expect(failure.cause).toBe(cause)
    expect(failure.summary).toBe(summary)
    expect(failure.summary?.rejected).toHaveLength(1)
  })

  it('keeps an interruption an interruption, of the same signal', () => {
    const failure = withSummary(new ImportInterrupted('SIGTERM'), summaryWithOneRejected())

    expect(failure).toBeInstanceOf(ImportInterrupted)
    expect((failure as ImportInterrupted).signal).toBe('SIGTERM')
    expect(failure.message).toBe(new ImportInterrupted('SIGTERM').message)
  })

  it('leaves the failure it was given as it was: nothing is set after construction', () => {
    const thrown = new ImportFailure('stopped after 3 rejected records (--max-errors 2)')
    withSummary(thrown, summaryWithOneRejected())

    expect(thrown.summary).toBeUndefined()
    expect('cause' in thrown).toBe(false)
  })
})
