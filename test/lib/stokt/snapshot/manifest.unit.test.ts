import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {parseManifest} from '../../../../src/lib/stokt/snapshot/manifest.js'
import {StoktError} from '../../../../src/lib/stokt/source.js'

const DIR = '/snapshots/montoboard'
const SNAPSHOT = {dir: DIR, description: `snapshot ${DIR}`}

/** A manifest as a finished save writes it, for a run that read every climb. */
function manifest(changes: Record<string, unknown> = {}, remove: string[] = []): Record<string, unknown> {
  const raw: Record<string, unknown> = {
    format: 'mastoc-stokt-snapshot',
    version: 1,
    gymId: '632198c1-27a0-4b5e-9d3f-0a1b2c3d4e5f',
    savedAt: '2026-11-01T12:00:00.000Z',
    maxAge: 9999,
    pages: 3,
    climbs: 70,
    count: 70,
    climbsReadAt: '2026-11-01T11:59:58.000Z',
    complete: {climbs: true},
    ...changes,
  }
  for (const field of remove) delete raw[field]
  return raw
}

function refusal(value: unknown): StoktError {
  try {
    parseManifest(value, SNAPSHOT)
  } catch (error) {
    expect(error).toBeInstanceOf(StoktError)
    return error as StoktError
  }
  throw new Error('expected the manifest to be refused')
}

describe('parseManifest', () => {
  it('reads a manifest as a finished save writes it', () => {
    expect(parseManifest(manifest(), SNAPSHOT)).toEqual(manifest())
  })

  it.each([
    ['an array', [], 'is not a mastoc-stokt-snapshot manifest'],
    ['null', null, 'is not a mastoc-stokt-snapshot manifest'],
    ['another format', manifest({format: 'stokt-dump'}), 'is not a mastoc-stokt-snapshot manifest'],
    ['no format', manifest({}, ['format']), 'is not a mastoc-stokt-snapshot manifest'],
    ['a later version', manifest({version: 2}), 'has version 2; this mastoc reads version 1'],
    ['a version in quotes', manifest({version: '1'}), 'has version "1"; this mastoc reads version 1'],
    ['no version', manifest({}, ['version']), 'has version undefined; this mastoc reads version 1'],
    ['no gymId', manifest({}, ['gymId']), 'has no gymId'],
    ['a numeric gymId', manifest({gymId: 42}), 'has no gymId'],
    ['no savedAt', manifest({}, ['savedAt']), 'has no savedAt date'],
    ['a savedAt that is not a date', manifest({savedAt: 'yesterday'}), 'has no savedAt date'],
    ['no maxAge', manifest({}, ['maxAge']), 'has no maxAge'],
    ['a maxAge in quotes', manifest({maxAge: '9999'}), 'has no maxAge'],
    ['no pages', manifest({}, ['pages']), 'has no pages or climbs count'],
    ['a climbs count in quotes', manifest({climbs: '70'}), 'has no pages or climbs count'],
    ['a fractional count', manifest({count: 1.5}), 'has a count that is not a whole number'],
    ['a negative count', manifest({count: -1}), 'has a count that is not a whole number'],
    ['a count in quotes', manifest({count: '70'}), 'has a count that is not a whole number'],
    ['a climbsReadAt that is not a date', manifest({climbsReadAt: 'this morning'}), 'has a climbsReadAt that is not a date'],
    ['a numeric climbsReadAt', manifest({climbsReadAt: 0}), 'has a climbsReadAt that is not a date'],
  ])('refuses %s, saying so', (_, value, why) => {
    const error = refusal(value)
    expect(error.message).toBe(`snapshot ${DIR}: manifest.json ${why}`)
    expect(error.call).toBe(`read ${path.join(DIR, 'manifest.json')}`)
  })

  it('names the first problem, in the order of the fields, when there are several', () => {
    expect(refusal(manifest({version: 2, gymId: 1, count: -1})).message).toBe(
      `snapshot ${DIR}: manifest.json has version 2; this mastoc reads version 1`,
    )
    expect(refusal(manifest({pages: null, savedAt: 'soon'}, ['maxAge'])).message).toBe(`snapshot ${DIR}: manifest.json has no savedAt date`)
  })

  it('reads a manifest without count and climbsReadAt (an older save), leaving them absent', () => {
    const read = parseManifest(manifest({}, ['count', 'climbsReadAt']), SNAPSHOT)

    expect(read).toEqual(manifest({}, ['count', 'climbsReadAt']))
    expect(Object.keys(read)).not.toContain('count')
    expect(Object.keys(read)).not.toContain('climbsReadAt')
  })

  it('reads a null maxAge (climbs not read) and a count of 0', () => {
    expect(parseManifest(manifest({maxAge: null, pages: 0, climbs: 0, count: 0, complete: {climbs: false}}), SNAPSHOT)).toMatchObject({
      maxAge: null,
      count: 0,
      complete: {climbs: false},
    })
  })

  it.each([
    ['absent', undefined, true],
    ['{"climbs": true}', {climbs: true}, true],
    ['{"climbs": false}', {climbs: false}, false],
    ['{"climbs": "no"}', {climbs: 'no'}, true],
    ['{}', {}, true],
    ['not an object', 'partial', true],
  ])('reads `complete` %s as climbs complete: %s', (_, complete, climbs) => {
    const read = parseManifest(manifest({complete}, complete === undefined ? ['complete'] : []), SNAPSHOT)

    expect(read.complete).toEqual({climbs})
  })

  it('drops fields it does not know', () => {
    expect(parseManifest(manifest({savedBy: 'mastoc 0.2', notes: 'before the reset'}), SNAPSHOT)).toEqual(manifest())
  })
})
