import {describe, expect, it} from 'vitest'

import type {EntityName} from '../../../src/lib/db/tables.js'
import {SummaryTally, type ImportSummary, type Outcome} from '../../../src/lib/import/summary.js'
import {formatSummary} from '../../../src/lib/output/summaryText.js'

const GYM = '9b3e5c7a-1d2f-4e6b-8a0c-2f4d6e8a0b1c'
const HEAD = {gym: GYM, strategy: 'batch', batchSize: 100, dryRun: false, durationMs: 812} as const

const created = (stoktId: string): Outcome => ({kind: 'created', stoktId})
const updated = (stoktId: string): Outcome => ({kind: 'updated', stoktId, changes: [{field: 'name', from: 'a', to: 'b'}]})
const unchanged = (stoktId: string): Outcome => ({kind: 'unchanged', stoktId})
const error = (stoktId: string | null, reason: string): Outcome => ({kind: 'error', stoktId, reason})

function tallyOf(outcomes: [EntityName, Outcome][]): SummaryTally {
  const tally = new SummaryTally()
  for (const [entity, outcome] of outcomes) tally.add(entity, outcome)
  return tally
}

describe('SummaryTally', () => {
  const outcomes: [EntityName, Outcome][] = [
    ['user', created('u1')],
    ['user', created('u2')],
    ['user', unchanged('u3')],
    ['climb', created('c1')],
    ['climb', updated('c2')],
    ['climb', unchanged('c3')],
    ['climb', unchanged('c4')],
    ['climb', error('c5', "holdsList: token 'Q8291' is not S/O/F/T + hold id")],
    ['climb', error(null, 'id: missing')],
    ['user', error('u4', 'climbSetters.fullName: expected a string')],
  ]

  it('counts each outcome, and total = created + updated + unchanged + errors', () => {
    const summary = tallyOf(outcomes).toSummary(HEAD)
    expect(summary.users).toEqual({created: 2, updated: 0, unchanged: 1, errors: 1, total: 4})
    expect(summary.climbs).toEqual({created: 1, updated: 1, unchanged: 2, errors: 2, total: 6})
    for (const counts of [summary.users!, summary.climbs!]) {
      expect(counts.total).toBe(counts.created + counts.updated + counts.unchanged + counts.errors)
    }
  })

  it('gives every error one rejected entry with its entity, Stokt id as received and reason', () => {
    const tally = tallyOf(outcomes)
    const summary = tally.toSummary(HEAD)
    expect(summary.rejected).toEqual([
      {entity: 'climb', stoktId: 'c5', reason: "holdsList: token 'Q8291' is not S/O/F/T + hold id"},
      {entity: 'climb', stoktId: null, reason: 'id: missing'},
      {entity: 'user', stoktId: 'u4', reason: 'climbSetters.fullName: expected a string'},
    ])
    const errors = (summary.users?.errors ?? 0) + (summary.climbs?.errors ?? 0)
    expect(summary.rejected).toHaveLength(errors)
    expect(tally.errorCount).toBe(errors)
  })

  it('leaves out the entities a run did not touch', () => {
    const summary = tallyOf(outcomes).toSummary(HEAD)
    expect(summary).not.toHaveProperty('faces')
    expect(summary).not.toHaveProperty('holds')
    expect(JSON.parse(JSON.stringify(summary))).not.toHaveProperty('faces')
  })

  it('shows a tracked entity with zero counts even when it ends with no records', () => {
    const tally = tallyOf([['hold', created('1')]])
    tally.track('faces')
    const summary = tally.toSummary(HEAD)
    expect(summary.faces).toEqual({created: 0, updated: 0, unchanged: 0, errors: 0, total: 0})
    expect(summary.holds).toEqual({created: 1, updated: 0, unchanged: 0, errors: 0, total: 1})
    expect(summary).not.toHaveProperty('climbs')
  })

  it('tracking an entity twice does not reset its counts', () => {
    const tally = tallyOf([['climb', created('c1')]])
    tally.track('climbs')
    expect(tally.toSummary(HEAD).climbs?.created).toBe(1)
  })

  it('has an empty rejected list on a clean run', () => {
    expect(tallyOf([['face', created('f1')]]).toSummary(HEAD).rejected).toEqual([])
  })

  it('keeps the head and orders the keys as the README shows them, rejected last', () => {
    const tally = tallyOf([
      ['climb', created('c1')],
      ['face', created('f1')],
      ['user', created('u1')],
      ['hold', created('1')],
    ])
    const summary = tally.toSummary(HEAD)
    expect(summary).toMatchObject(HEAD)
    expect(Object.keys(summary)).toEqual([
      'gym',
      'strategy',
      'batchSize',
      'dryRun',
      'durationMs',
      'faces',
      'holds',
      'users',
      'climbs',
      'rejected',
    ])
  })

  it('gives a summary that later adds do not change', () => {
    const tally = tallyOf([['climb', created('c1')]])
    const summary = tally.toSummary(HEAD)
    tally.add('climb', created('c2'))
    expect(summary.climbs?.total).toBe(1)
  })
})

function summaryOf(overrides: Partial<ImportSummary> = {}): ImportSummary {
  return {
    ...HEAD,
    faces: {created: 1, updated: 0, unchanged: 0, errors: 0, total: 1},
    holds: {created: 776, updated: 0, unchanged: 0, errors: 0, total: 776},
    users: {created: 79, updated: 0, unchanged: 0, errors: 0, total: 79},
    climbs: {created: 1015, updated: 0, unchanged: 0, errors: 2, total: 1017},
    rejected: [
      {entity: 'climb', stoktId: '82861103-b552-4b5d-99fd-8519ed905809', reason: "holdsList: token 'Q8291' is not S/O/F/T + hold id"},
      {entity: 'climb', stoktId: null, reason: 'id: missing'},
    ],
    ...overrides,
  }
}

/** The cells of the table row that starts with `label`. */
function tableRow(text: string, label: string): string[] | undefined {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((cells) => cells[0] === label)
}

describe('formatSummary', () => {
  it('reports a normal run: gym, strategy, duration, one row per entity, then the rejects', () => {
    const text = formatSummary(summaryOf())
    const lines = text.split('\n')
    expect(lines[0]).toContain(GYM)
    expect(lines[0]).toContain('batches of 100')
    expect(lines[0]).toContain('0.8 s')
    expect(lines[0]).not.toMatch(/dry run/i)
    expect(tableRow(text, 'faces')).toEqual(['faces', '1', '0', '0', '0', '1'])
    expect(tableRow(text, 'holds')).toEqual(['holds', '776', '0', '0', '0', '776'])
    expect(tableRow(text, 'users')).toEqual(['users', '79', '0', '0', '0', '79'])
    expect(tableRow(text, 'climbs')).toEqual(['climbs', '1015', '0', '0', '2', '1017'])
    expect(tableRow(text, 'created')).toEqual(['created', 'updated', 'unchanged', 'errors', 'total'])
    expect(text).toContain('2 records were rejected')
    expect(text).toContain("climb 82861103-b552-4b5d-99fd-8519ed905809: holdsList: token 'Q8291' is not S/O/F/T + hold id")
    expect(text).toContain('climb (no id): id: missing')
  })

  it('aligns the counts in columns', () => {
    const lines = formatSummary(summaryOf()).split('\n')
    const holds = lines.find((line) => line.startsWith('holds'))!
    const climbs = lines.find((line) => line.startsWith('climbs'))!
    expect(holds.length).toBe(climbs.length)
  })

  it('names the row-by-row strategy', () => {
    expect(formatSummary(summaryOf({strategy: 'row-by-row'})).split('\n')[0]).toContain('row by row')
  })

  it('shows only the entities the run touched, and no rejects section on a clean run', () => {
    const text = formatSummary(
      summaryOf({
        faces: undefined,
        holds: undefined,
        users: undefined,
        climbs: {created: 0, updated: 3, unchanged: 1014, errors: 0, total: 1017},
        rejected: [],
      }),
    )
    expect(tableRow(text, 'climbs')).toEqual(['climbs', '0', '3', '1014', '0', '1017'])
    expect(tableRow(text, 'faces')).toBeUndefined()
    expect(tableRow(text, 'holds')).toBeUndefined()
    expect(tableRow(text, 'users')).toBeUndefined()
    expect(text).not.toMatch(/rejected/)
  })

  it('says a dry run wrote nothing and what it would have done', () => {
    const text = formatSummary(summaryOf({dryRun: true}))
    expect(text.split('\n')[0]).toMatch(/dry run/i)
    expect(text).toMatch(/nothing was written/i)
    expect(text).not.toMatch(/^Imported/)
    expect(tableRow(text, 'create')).toEqual(['create', 'update', 'unchanged', 'errors', 'total'])
    expect(tableRow(text, 'climbs')).toEqual(['climbs', '1015', '0', '0', '2', '1017'])
  })

  it('says "1 record was rejected" for one', () => {
    const text = formatSummary(summaryOf({rejected: [{entity: 'user', stoktId: 'u1', reason: 'fullName: expected a string'}]}))
    expect(text).toContain('1 record was rejected')
  })

  it('lists at most 20 rejected records, then says how many more there are', () => {
    const rejected = Array.from({length: 23}, (_, index) => ({
      entity: 'climb' as const,
      stoktId: `climb-${index + 1}`,
      reason: `reason ${index + 1}`,
    }))
    const text = formatSummary(summaryOf({climbs: {created: 994, updated: 0, unchanged: 0, errors: 23, total: 1017}, rejected}))
    expect(text).toContain('23 records were rejected')
    const listed = text.split('\n').filter((line) => /^\s+climb climb-\d+: /.test(line))
    expect(listed).toHaveLength(20)
    expect(listed[0]).toContain('climb-1: reason 1')
    expect(listed[19]).toContain('climb-20: reason 20')
    expect(text).not.toContain('climb-21')
    const more = text.split('\n').filter((line) => line.includes('… and'))
    expect(more).toHaveLength(1)
    expect(more[0]).toBe('  … and 3 more (--rejects FILE writes them all; --json lists them under rejected)')
    expect(text.trimEnd().split('\n').at(-1)).toBe(more[0])

    // With --rejects (cron, where --json is refused beside --log-file), the file that holds them all.
    const withFile = formatSummary(
      summaryOf({climbs: {created: 994, updated: 0, unchanged: 0, errors: 23, total: 1017}, rejected}),
      undefined,
      {
        rejectsFile: '/var/log/mastoc/rejects-2026-12-06.jsonl',
      },
    )
    expect(withFile.trimEnd().split('\n').at(-1)).toBe('  … and 3 more (all of them are in /var/log/mastoc/rejects-2026-12-06.jsonl)')
  })

  it('lists exactly 20 rejected records without a "more" line', () => {
    const rejected = Array.from({length: 20}, (_, index) => ({
      entity: 'hold' as const,
      stoktId: String(index + 1),
      reason: 'polygonStr: missing',
    }))
    const text = formatSummary(summaryOf({rejected}))
    expect(text.split('\n').filter((line) => /^\s+hold \d+: /.test(line))).toHaveLength(20)
    expect(text).not.toContain('more')
  })
})

describe('formatSummary, naming records', () => {
  it('shows each id of a dry run with what a person knows it by, and the database', () => {
    const text = formatSummary(
      summaryOf({
        dryRun: true,
        rejected: [],
        changes: {
          faces: {create: ['f1'], update: [], labels: {f1: {face: 'Le Dévers'}}},
          users: {create: ['u1'], update: [], labels: {u1: {name: 'Xénia M.'}}},
          climbs: {
            create: ['c1', 'c2'],
            update: [{stoktId: 'c3', fields: [{field: 'name', from: 'Old', to: 'New\u001b[2J'}]}],
            labels: {c1: {name: 'Crimp city', face: 'Le Dévers'}, c3: {name: 'New\u001b[2J', face: 'Spray\nwall'}},
          },
        },
      }),
      'postgres://mastoc:***@db.example.com/mastoc',
    )
    expect(text.split('\n')[0]).toContain(`Dry run of gym ${GYM} against postgres://mastoc:***@db.example.com/mastoc (`)
    expect(text).toContain('faces to create (1):\n  f1  Le Dévers\n')
    expect(text).toContain('users to create (1):\n  u1  "Xénia M."\n')
    // A record without a label is still listed; Stokt's text moves no cursor.
    expect(text).toContain('climbs to create (2):\n  c1  "Crimp city" on Le Dévers\n  c2\n')
    expect(text).toContain('climbs to update (1):\n  c3  "New\\u001b[2J" on Spray?wall: name "Old" → "New\\u001b[2J"')
  })

  it('names the climbs Stokt no longer serves', () => {
    const text = formatSummary(
      summaryOf({rejected: [], missing: {count: 2, ids: ['c1', 'c2'], labels: {c1: {name: 'Crimp city', face: 'Le Dévers'}}}}),
    )
    expect(text).toContain('2 climbs are no longer served by Stokt (kept):\n  c1  "Crimp city" on Le Dévers\n  c2')
  })
})
