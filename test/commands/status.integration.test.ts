import {randomUUID} from 'node:crypto'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {acquireImportLock} from '../../src/lib/db/importLock.js'
import {migrateToLatest} from '../../src/lib/db/migrate.js'
import {KnexRunHistory} from '../../src/lib/db/runHistory.js'
import {runCommand} from '../support/runCommand.js'
import {DATABASE_KINDS, testDatabases, unavailable, type TestDatabase} from '../support/databases.js'

/** Two gyms whose ids share their first 8 characters, and a third. */
const GYM_A = 'be149ef2-317d-4c73-8d7d-50074577d2fa'
const GYM_B = 'be149ef2-0000-4000-8000-000000000002'
const GYM_C = '7e62b4bf-ef9a-4845-8eec-decee2c5a31c'
const counts = (created: number, updated = 0, errors = 0) => ({created, updated, unchanged: 0, errors, total: created + updated + errors})
const HUGE = counts(100_000, 100_000, 100_000)
const ENTITIES = ['faces', 'holds', 'users', 'climbs']

interface Run {
  gym: string
  command: string
  startedAt: string
  /** How long it took, in ms; none: still running. */
  tookMs?: number
  status: string
  incremental?: boolean
  summary?: Record<string, unknown>
  error?: string
}

/** Newest first, as status lists them. */
const RUNS: Run[] = [
  {
    gym: GYM_A,
    command: 'import all',
    startedAt: '2026-11-26T02:17:42.000000Z',
    tookMs: 65_000,
    status: 'succeeded',
    incremental: true,
    summary: {faces: counts(0), holds: counts(0), users: counts(1), climbs: counts(12, 3, 2)},
  },
  {
    gym: GYM_B,
    command: 'import climbs',
    startedAt: '2026-11-25T02:17:42.000000Z',
    tookMs: 800,
    status: 'failed',
    error: `GET /api/gyms/${GYM_B}/climbs page 1: Stokt refused the token (HTTP 401): ${'a long explanation '.repeat(12)}`,
  },
  {
    gym: GYM_A,
    command: 'import all',
    startedAt: '2026-07-14T10:00:00.000000Z',
    tookMs: 3_723_000,
    status: 'partial',
    summary: {faces: HUGE, holds: HUGE, users: HUGE, climbs: HUGE},
  },
  ...Array.from({length: 9}, (_, index): Run => ({
    gym: index % 2 === 0 ? GYM_A : GYM_C,
    command: 'import holds',
    startedAt: `2026-06-${String(20 - index).padStart(2, '0')}T08:00:00.000000Z`,
    tookMs: 1500,
    status: 'succeeded',
    summary: {faces: counts(3), holds: counts(450)},
  })),
  {gym: GYM_C, command: 'import users', startedAt: '2026-06-01T08:00:00.000000Z', status: 'running'},
]

async function recordRuns(database: TestDatabase): Promise<void> {
  const knex = database.knex()
  await migrateToLatest(knex)
  const history = new KnexRunHistory(knex, database.kind)
  for (const run of RUNS) {
    const id = randomUUID()
    const options = run.incremental ? {incremental: true} : {}
    await history.startRun(
      {id, command: run.command, strategy: 'batch', gymStoktId: run.gym, dryRun: false, options, startedAt: run.startedAt},
      'running',
    )
    if (run.tookMs === undefined) continue
    const finishedAt = new Date(Date.parse(run.startedAt) + run.tookMs).toISOString().replace('Z', '000Z')
    await history.finishRun(id, {status: run.status, finishedAt, summary: run.summary ?? null, error: run.error ?? null})
  }
}

describe.each(DATABASE_KINDS)('mastoc status on %s', (kind) => {
  const skip = unavailable(kind)
  const databases = testDatabases(kind)
  let database: TestDatabase
  const status = async (args: string[] = []) => {
    const result = await runCommand(['status', '--database', database.url, ...args], {TZ: 'Europe/Paris'})
    expect(result.code, result.stderr).toBe(0)
    return result.stdout.trimEnd().split('\n')
  }
  /** The table's lines, header first, and the run lines under it (each run's own lines after it). */
  const table = (lines: string[]) => lines.slice(lines.findIndex((line) => line.startsWith('  started')))
  const runLine = (lines: string[], startedLocal: string) => lines.find((line) => line.startsWith(`  ${startedLocal}`))
  /** The lines a run has under its own: its counts when apart, its error. */
  const below = (lines: string[], line: string) => {
    const after = lines.slice(lines.indexOf(line) + 1)
    return after.slice(
      0,
      Math.max(
        0,
        after.findIndex((next) => !next.startsWith('      ')),
      ),
    )
  }

  beforeAll(async () => {
    if (skip) return
    database = await databases.fresh()
    await recordRuns(database)
  })
  afterAll(async () => {
    await databases.dropAll()
  })

  it.skipIf(skip)('fits 100 columns: aligned columns, local times with their zone, durations, a legend', async () => {
    const lines = await status()
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(100)
    expect(lines).toContain('Latest 10 runs, newest first:')
    const [header] = table(lines)
    expect(header.split(/\s+/).filter(Boolean)).toEqual(['started', 'took', 'gym', 'import', 'status', 'faces', 'holds', 'users', 'climbs'])
    // Winter and summer time in Paris; each run's duration; counts under their entity.
    const latest = runLine(lines, '2026-11-26 03:17:42 CET')
    expect(latest?.split(/\s{2,}/).filter(Boolean)).toEqual([
      '2026-11-26 03:17:42 CET',
      '1m05s',
      'be149ef2-3',
      'all*',
      'succeeded',
      '0',
      '0',
      '+1',
      '+12 ~3 !2',
    ])
    const failed = runLine(lines, '2026-11-25 03:17:42 CET')
    expect(failed?.split(/\s{2,}/).filter(Boolean)).toEqual([
      '2026-11-25 03:17:42 CET',
      '0.8s',
      'be149ef2-0',
      'climbs',
      'failed',
      '-',
      '-',
      '-',
      '-',
    ])
    // Its error under it, wrapped, nothing of it lost.
    expect(below(lines, failed!).length).toBeGreaterThan(1)
    expect(
      below(lines, failed!)
        .map((line) => line.trim())
        .join(' '),
    ).toBe(RUNS[1].error!.trim())
    // Counts too large for the width: on a line of their own, under their run.
    const huge = runLine(lines, '2026-07-14 12:00:00 CEST')!
    expect(huge.split(/\s{2,}/).filter(Boolean)).toEqual(['2026-07-14 12:00:00 CEST', '1h02m', 'be149ef2-3', 'all', 'partial'])
    expect(below(lines, huge).join(' ').replace(/\s+/g, ' ').trim()).toBe(
      ENTITIES.map((entity) => `${entity} +100000 ~100000 !100000`).join(', '),
    )
    expect(runLine(lines, '2026-06-20 10:00:00 CEST')).toMatch(/ 1\.5s +be149ef2-3 +holds +succeeded +\+3 +\+450 +- +-$/)
    // Each column's cells start where its title does (the left-aligned ones) or end where it ends.
    const runLines = table(lines)
      .slice(1)
      .filter((line) => /^ {2}\d{4}-/.test(line))
    for (const title of ['gym', 'import', 'status']) {
      for (const line of runLines) expect(`${line.slice(header.indexOf(title) - 2, header.indexOf(title) + 1)}`, line).toMatch(/^ {2}\S$/)
    }
    for (const title of ['took', 'climbs']) {
      const end = header.indexOf(title) + title.length
      for (const line of runLines.filter((line) => line.length >= end)) expect(line.slice(end - 1, end + 1), line).toMatch(/^\S( |$)/)
    }
    expect(lines).toContain('Counts: + created, ~ updated, ! rejected, 0 nothing changed, - not imported. * incremental run.')
    expect(lines).toContain(`  ${GYM_A}  2026-11-26 03:18:47 CET  import all (succeeded)`)
  })

  it.skipIf(skip)('lists one gym with --gym, its whole id or its first characters, and as many runs as --limit says', async () => {
    const ofA = await status(['--gym', GYM_A.toUpperCase()])
    const runsOfA = table(ofA).filter((line) => /^ {2}\d{4}-/.test(line))
    expect(runsOfA).toHaveLength(RUNS.filter((run) => run.gym === GYM_A).length)
    for (const line of runsOfA) expect(line).toContain(' be149ef2 ')
    expect(ofA.join('\n')).not.toContain(GYM_C)

    const prefixed = await status(['--gym', '7e62', '--limit', '3'])
    expect(prefixed).toContain('Latest 3 runs of gym 7e62…, newest first:')
    const runsOfC = table(prefixed).filter((line) => /^ {2}\d{4}-/.test(line))
    expect(runsOfC).toHaveLength(3)
    for (const line of runsOfC) expect(line).toContain(' 7e62b4bf ')

    expect(table(await status(['--limit', '12'])).filter((line) => /^ {2}\d{4}-/.test(line))).toHaveLength(12)
    // Recorded running, long ago, and holding no lock: its process died.
    const all = await status(['--limit', '20'])
    const dead = runLine(table(all), '2026-06-01 10:00:00 CEST')!
    expect(dead.split(/\s{2,}/).filter(Boolean)).toEqual([
      '2026-06-01 10:00:00 CEST',
      '-',
      '7e62b4bf',
      'users',
      'abandoned',
      '-',
      '-',
      '-',
      '-',
    ])
    expect(below(all, dead).join(' ')).toContain('the run holds no lock: its process was killed or lost')
  })

  it.skipIf(skip)('shows a run recorded running as running while it holds its lock or has only just started, else abandoned', async () => {
    const own = await databases.fresh()
    const knex = own.knex()
    await migrateToLatest(knex)
    const history = new KnexRunHistory(knex, kind)
    const start = async (gymStoktId: string, startedAt: string) => {
      const id = randomUUID()
      await history.startRun({id, command: 'import all', strategy: 'batch', gymStoktId, dryRun: false, options: {}, startedAt}, 'running')
      return id
    }
    const longAgo = new Date(Date.now() - 600_000).toISOString()
    const holding = await start(GYM_A, longAgo)
    const lock = await acquireImportLock(knex, kind, {gymStoktId: GYM_A, runId: holding, holder: 'a test', waitSeconds: 0})
    await start(GYM_B, new Date().toISOString())
    await start(GYM_C, longAgo)
    try {
      const result = await runCommand(['status', '--json', '--database', own.url])
      const {runs} = JSON.parse(result.stdout) as {runs: {gymStoktId: string; status: string}[]}
      expect(Object.fromEntries(runs.map((run) => [run.gymStoktId, run.status]))).toEqual({
        [GYM_A]: 'running',
        [GYM_B]: 'running',
        [GYM_C]: 'abandoned',
      })
    } finally {
      await lock.release()
    }
  })

  it.skipIf(skip)('refuses a --gym that is no gym id, as a usage error', async () => {
    const result = await runCommand(['status', '--database', database.url, '--gym', 'Montoboard'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('expected a Stokt gym id or its first characters')
  })
})
