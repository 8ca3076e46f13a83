/** The goals of the issue, checked on the medians of a bench run. */
import type {DatabaseKind} from '../support/databases.js'
import {BATCH_WRITE_STRATEGIES, type BatchWrite, type BatchWriteStrategy} from './batchWrites.js'
import {SIZE_PRESETS} from './options.js'
import {
  CONCURRENCY,
  CURVE_BATCH_SIZES,
  CURVE_PAGE_SIZES,
  DEFAULT_BATCH_SIZE,
  DEFAULT_PAGE_SIZE,
  LATENCY_MS,
  PAGE_SIZE,
  USERS_BATCH_SIZE,
  findSeries,
  max,
  median,
  medianBatchWrite,
  medianClientFetch,
  medianFetchFloor,
  medianImportTime,
  medianInsertFloor,
  medianRead,
  medianReadBackBusy,
  medianSqliteCommitFloor,
  medianWall,
  type ReportInput,
  type SizeResult,
} from './results.js'
import {DB_NAME, ratio, range, rate, mib, s} from './format.js'

export type GoalStatus = 'PASS' | 'FAIL' | 'SKIP' | 'INFO'

export interface Goal {
  status: GoalStatus
  goal: string
  detail: string
}

export const BATCH_WRITE_PASS: Record<keyof BatchWrite, string> = {empty: 'empty tables', existing: 'existing rows'}
export const BATCH_WRITE_PASSES = ['empty', 'existing'] as const
const RSS_LIMIT_MIB = 300
/** Start-up goals, as multiples of a bare `node -e 0`; the first case of the start-up series is that. */
const STARTUP_LIMITS: [label: string, limit: number][] = [
  ['mastoc --version', 3],
  ['mastoc --help', 3],
  ['mastoc import all --help', 3],
  ['mastoc status (small SQLite file)', 4],
]
/** The import's own time of a 20k live import at LATENCY_MS a request, when Stokt honours page_size. */
const PAGED_LATENCY_LIMIT_MS = 2500
/** --batch-size 100 against the best of the curve, each database. */
const USERS_BATCH_LIMIT = 1.15
/** The goals' gym, unless a goal says otherwise. */
export const REFERENCE = SIZE_PRESETS.find((size) => size.reference)!.label
/** The gym of the memory goal (100,000 climbs). */
const LARGE = '100k'

/** The snapshot goal per database: SQLite's bare insert is the cheaper floor, so its bound is looser. */
const SNAPSHOT_LIMIT: Record<DatabaseKind, number> = {sqlite: 3.5, postgres: 3}

export function checkGoals({results, databases, startup}: ReportInput): Goal[] {
  const bySize = (label: string) => results.find((result) => result.size.label === label)
  const reference = bySize(REFERENCE)
  const large = bySize(LARGE)
  const goals: Goal[] = []
  const skip = (goal: string, why: string) => goals.push({status: 'SKIP', goal, detail: why})
  const check = (goal: string, measured: number | undefined, limit: number | undefined, detail: () => string, extraOk = true) => {
    if (measured === undefined || limit === undefined) return skip(goal, `not measured (needs the ${REFERENCE} gym)`)
    goals.push({status: measured <= limit && extraOk ? 'PASS' : 'FAIL', goal, detail: detail()})
  }

  for (const db of databases) {
    const live = medianImportTime(findSeries(reference, db, 'live'))
    const fetch = medianFetchFloor(reference)
    const insert = medianInsertFloor(reference, db)
    const floors = fetch !== undefined && insert !== undefined ? fetch + insert : undefined
    check(
      `live batch import ≤ 1.5× (fetch floor + write floor), ${REFERENCE}, ${DB_NAME[db]}`,
      live,
      floors && 1.5 * floors,
      () => `${s(live)} vs 1.5 × (${s(fetch)} + ${s(insert)}) = ${s(1.5 * floors!)}: ${ratio(live, floors)} the floors`,
    )
  }

  for (const db of databases) {
    const snapshot = medianImportTime(findSeries(reference, db, 'snapshot'))
    const insert = medianInsertFloor(reference, db)
    const limit = SNAPSHOT_LIMIT[db]
    const validated = medianRead(reference?.snapshotValidate)
    check(
      `snapshot batch import ≤ ${limit}× the bare insert, ${REFERENCE}, ${DB_NAME[db]}`,
      snapshot,
      insert && limit * insert,
      () =>
        `${s(snapshot)} vs ${limit} × ${s(insert)} = ${s(limit * insert!)}: ${ratio(snapshot, insert)} the bare insert (median of ${findSeries(reference, db, 'snapshot')?.samples.length ?? 0})` +
        floorNote(
          snapshot,
          // PostgreSQL inserts in its own process, beside the importer's thread: only SQLite's insert adds to the thread's work.
          [
            ["the importer's snapshot source reading, validating and mapping every record, no database", validated],
            ...(db === 'sqlite' ? [['the bare insert', insert] as [string, number | undefined]] : []),
          ],
          insert && limit * insert,
          db === 'sqlite' ? 'the lookups and the upserts' : 'the lookups and the upserts (the database working beside)',
        ),
    )
    const rerunSeries = findSeries(reference, db, 'snapshot-rerun')
    const rerun = medianImportTime(rerunSeries)
    const samples = rerunSeries?.samples ?? []
    const clean = samples.filter((sample) => sample.allUnchanged && sample.wroteNoRow).length
    check(
      `snapshot re-run of an unchanged gym ≤ 0.8× the first snapshot import, writing no row, ${REFERENCE}, ${DB_NAME[db]}`,
      rerun,
      snapshot && 0.8 * snapshot,
      () =>
        `${s(rerun)} vs 0.8 × ${s(snapshot)} = ${s(0.8 * snapshot!)}: ${ratio(rerun, snapshot)} the first; all unchanged and no row written in ${clean}/${samples.length} re-runs` +
        floorNote(
          rerun,
          [
            ["the importer's snapshot source reading, validating and mapping every record", validated],
            ["reading every row back by Stokt id (the reading thread's busy time)", medianReadBackBusy(reference, db)],
          ],
          snapshot && 0.8 * snapshot,
          'the comparing',
        ),
      clean === samples.length,
    )
  }

  for (const db of databases) {
    const rerunSeries = findSeries(reference, db, 'rerun')
    const rerun = medianImportTime(rerunSeries)
    const first = medianImportTime(findSeries(reference, db, 'live'))
    // A re-run fetches every page again: no faster than the importer's client fetching alone.
    const fetchOnly = medianClientFetch(reference)
    const bound =
      fetchOnly === undefined ? '' : ` (the importer's client alone fetches in ${s(fetchOnly)} = ${ratio(fetchOnly, first)} the first run)`
    const samples = rerunSeries?.samples ?? []
    const clean = samples.filter((sample) => sample.allUnchanged && sample.wroteNoRow).length
    // What a re-run cannot go below is fetching every page again; it may spend half what the first run spent beyond that.
    const limit = first === undefined || fetchOnly === undefined ? undefined : fetchOnly + 0.5 * (first - fetchOnly)
    check(
      `re-run of an unchanged gym ≤ the client's fetch + 0.5 × (the first run − that fetch), writing no row, ${REFERENCE}, ${DB_NAME[db]}`,
      rerun,
      limit,
      () =>
        `${s(rerun)} vs ${s(fetchOnly)} + 0.5 × (${s(first)} − ${s(fetchOnly)}) = ${s(limit)}: ${ratio(rerun, first)} the first run${bound}; ` +
        `all unchanged and no row written in ${clean}/${samples.length} re-runs` +
        floorNote(
          rerun,
          [
            ["the importer's client fetching, validating and mapping every record, no database", medianRead(reference?.clientValidate)],
            ["reading every row back by Stokt id (the reading thread's busy time)", medianReadBackBusy(reference, db)],
          ],
          limit,
          'the comparing',
        ),
      clean === samples.length,
    )
  }

  for (const db of databases) {
    const goal = `peak RSS < ${RSS_LIMIT_MIB} MiB at ${LARGE} climbs (the importer process), ${DB_NAME[db]}`
    const peakKb = max(
      large?.imports.filter((series) => series.db === db).flatMap((series) => series.samples.map((sample) => sample.peakRssKb)) ?? [],
    )
    if (peakKb === undefined) skip(goal, `not measured (needs the ${LARGE} gym)`)
    else
      goals.push({
        status: peakKb / 1024 < RSS_LIMIT_MIB ? 'PASS' : 'FAIL',
        goal,
        detail: `peak ${mib(peakKb)} (max over the ${LARGE} imports)`,
      })
  }

  {
    const bare = startup[0] === undefined ? undefined : median(startup[0].samplesMs)
    for (const [label, limit] of STARTUP_LIMITS) {
      const series = startup.find((candidate) => candidate.label === label)
      const ms = series === undefined ? undefined : median(series.samplesMs)
      const goal = `${label} ≤ ${limit}× a bare node -e 0 (whole process)`
      if (ms === undefined || bare === undefined) skip(goal, 'not measured')
      else
        goals.push({
          status: ms <= limit * bare ? 'PASS' : 'FAIL',
          goal,
          detail: `${ms.toFixed(0)} ms vs ${limit} × ${bare.toFixed(0)} ms: ${ratio(ms, bare)} (${range(series!.samplesMs)})`,
        })
    }
  }

  {
    const curve = batchSizeCurve(reference, databases)
    for (const db of databases) {
      const goal = `--batch-size ${USERS_BATCH_SIZE} ≤ ${USERS_BATCH_LIMIT}× the best measured batch size, ${REFERENCE} live, ${DB_NAME[db]}`
      const users = curve.rows.find((row) => row.batchSize === USERS_BATCH_SIZE)
      const wall = users?.wallMs[db]
      const best = curve.fastestWall[db]
      const cli = users?.cliMs[db]
      const bestCli = Math.min(...curve.rows.flatMap((row) => (row.cliMs[db] === undefined ? [] : [row.cliMs[db]!])))
      check(
        goal,
        wall,
        best && USERS_BATCH_LIMIT * best,
        () =>
          `wall ${s(wall)} vs the fastest, --batch-size ${curve.fastest[db]}, ${s(best)}: ${ratio(wall, best)}; import's own time ${s(cli)} vs the curve's best ${s(bestCli)}: ${ratio(cli, bestCli)}` +
          (db === 'sqlite' ? sqliteCommitsNote(reference, curve.fastest[db], best) : ''),
      )
    }
  }

  {
    const series = findSeries(reference, 'sqlite', 'latency-paged', DEFAULT_BATCH_SIZE, null)
    const own = medianImportTime(series)
    const wall = medianWall(series)
    const requests = median(series?.samples.map((sample) => sample.requests ?? 0) ?? [])
    check(
      `with ${LATENCY_MS} ms latency and a Stokt that honours page_size, the import ≤ ${s(PAGED_LATENCY_LIMIT_MS)}, ${REFERENCE}, SQLite`,
      own,
      PAGED_LATENCY_LIMIT_MS,
      () => `${s(own)} (wall ${s(wall)}, start-up and migrating included) with --page-size ${DEFAULT_PAGE_SIZE}: ${requests} requests`,
    )
    const sizes = [...CURVE_PAGE_SIZES].flatMap((pageSize) => {
      const ms = medianImportTime(
        findSeries(reference, 'sqlite', 'latency-paged', DEFAULT_BATCH_SIZE, pageSize === DEFAULT_PAGE_SIZE ? null : pageSize),
      )
      return ms === undefined ? [] : [`${pageSize}: ${s(ms)}`]
    })
    if (sizes.length > 1)
      goals.push({
        status: 'INFO',
        goal: `--page-size at ${LATENCY_MS} ms latency, ${REFERENCE}, SQLite (the import's own time)`,
        detail: `${sizes.join(', ')}; default ${DEFAULT_PAGE_SIZE}`,
      })
  }

  {
    const series = findSeries(reference, 'sqlite', 'latency')
    const wall = medianImportTime(series)
    const requests = median(series?.samples.map((sample) => sample.requests ?? 0) ?? [])
    const floor = requests === undefined ? undefined : (requests * LATENCY_MS) / CONCURRENCY
    check(
      `with ${LATENCY_MS} ms latency and a Stokt that ignores page_size (pages of ${PAGE_SIZE}, as before), the import ≤ 1.3× (requests × latency ÷ concurrency), ${REFERENCE}, SQLite`,
      wall,
      floor && 1.3 * floor,
      () =>
        `${s(wall)} vs 1.3 × (${requests} requests × ${LATENCY_MS} ms ÷ ${CONCURRENCY}) = 1.3 × ${s(floor)} = ${s(1.3 * floor!)}: ${ratio(wall, floor)} the latency floor`,
    )
  }

  {
    const goal = `fastest PostgreSQL upsert in batches of ${DEFAULT_BATCH_SIZE}, ${REFERENCE}`
    const passes = BATCH_WRITE_PASSES.flatMap((pass) => {
      const fastest = fastestBatchWrite(reference, pass)
      return fastest === undefined
        ? []
        : [`on ${BATCH_WRITE_PASS[pass]} ${describeFastest(fastest)} (${batchWritesLine(reference!, pass)})`]
    })
    if (passes.length === 0) skip(goal, `not measured (needs the ${REFERENCE} gym and PostgreSQL)`)
    else goals.push({status: 'INFO', goal, detail: `${passes.join('; ')}; × = times the COPY floor`})
  }

  const curve = batchSizeCurve(reference, databases)
  if (curve.best === undefined) skip('batch-size curve', `not measured (needs the ${REFERENCE} gym)`)
  else {
    const perDb = databases.map((db) => `${DB_NAME[db]} fastest at ${curve.fastest[db] ?? '?'}`).join(', ')
    const close = curve.rows.filter((row) => row.score !== undefined && row.score <= curve.bestScore! * 1.1).map((row) => row.batchSize)
    goals.push({
      status: 'INFO',
      goal: `batch-size curve, ${REFERENCE}: default --batch-size should be ${curve.best}`,
      detail: `${perDb}; within 10% of the best (mean of wall ÷ each database's fastest): ${close.join(', ')}; the current default is ${DEFAULT_BATCH_SIZE}. Medians of the runs each size had; differences under ~10–15% are noise on this machine.`,
    })
  }

  for (const result of results) {
    for (const db of databases) {
      const rowByRow = findSeries(result, db, 'row-by-row')
      const batch = medianWall(findSeries(result, db, 'live'))
      const wall = medianWall(rowByRow)
      if (wall === undefined || batch === undefined) continue
      goals.push({
        status: 'INFO',
        goal: `row-by-row beside batch, ${result.size.label}, ${DB_NAME[db]}`,
        detail: `${s(wall)} vs ${s(batch)}: row-by-row takes ${ratio(wall, batch)} the batch import's time (${rate(rowByRow!.samples[0].rows, wall)} vs ${rate(rowByRow!.samples[0].rows, batch)} rows/s)`,
      })
    }
  }
  if (!results.some((result) => result.imports.some((series) => series.mode === 'row-by-row' && result.size.large))) {
    goals.push({
      status: 'INFO',
      goal: 'row-by-row at 100k',
      detail: 'not run: too slow for the time budget (PostgreSQL writes a few hundred to ~1,300 rows/s row by row)',
    })
  }
  return goals
}

interface FastestBatchWrite {
  strategy: BatchWriteStrategy
  ms: number
  /** The second fastest: a lead of a few percent is noise on this machine. */
  next?: {strategy: BatchWriteStrategy; ms: number}
}

export function fastestBatchWrite(result: SizeResult | undefined, pass: keyof BatchWrite): FastestBatchWrite | undefined {
  const ranked = BATCH_WRITE_STRATEGIES.flatMap((strategy) => {
    const ms = medianBatchWrite(result, strategy, pass)
    return ms === undefined ? [] : [{strategy, ms}]
  }).sort((a, b) => a.ms - b.ms)
  return ranked.length === 0 ? undefined : {...ranked[0], next: ranked[1]}
}

export function describeFastest({strategy, ms, next}: FastestBatchWrite): string {
  return next === undefined ? strategy : `${strategy}, ${Math.round((next.ms / ms - 1) * 100)}% ahead of ${next.strategy}`
}

/** "values 1.20 s = 2.10×, unnest …" for one pass. */
function batchWritesLine(result: SizeResult, pass: keyof BatchWrite): string {
  const floor = medianInsertFloor(result, 'postgres')
  return BATCH_WRITE_STRATEGIES.flatMap((strategy) => {
    const ms = medianBatchWrite(result, strategy, pass)
    return ms === undefined ? [] : [`${strategy} ${s(ms)} = ${ratio(ms, floor)}`]
  }).join(', ')
}

interface CurveRow {
  batchSize: number
  wallMs: Partial<Record<DatabaseKind, number>>
  /** The import's own time (durationMs). */
  cliMs: Partial<Record<DatabaseKind, number>>
  rows: Partial<Record<DatabaseKind, number>>
  runs: Partial<Record<DatabaseKind, number>>
  /** Mean over the databases of wall ÷ that database's fastest wall: 1 is the best everywhere. */
  score?: number
}

export function batchSizeCurve(result: SizeResult | undefined, databases: DatabaseKind[]) {
  const rows: CurveRow[] = CURVE_BATCH_SIZES.map((batchSize) => {
    const row: CurveRow = {batchSize, wallMs: {}, cliMs: {}, rows: {}, runs: {}}
    for (const db of databases) {
      const series = findSeries(result, db, 'curve', batchSize)
      const wall = medianWall(series)
      if (wall === undefined) continue
      row.wallMs[db] = wall
      row.cliMs[db] = medianImportTime(series)
      row.rows[db] = series!.samples[0].rows
      row.runs[db] = series!.samples.length
    }
    return row
  })
  const fastest: Partial<Record<DatabaseKind, number>> = {}
  const fastestWall: Partial<Record<DatabaseKind, number>> = {}
  for (const db of databases) {
    for (const row of rows) {
      const wall = row.wallMs[db]
      if (wall !== undefined && (fastestWall[db] === undefined || wall < fastestWall[db]!)) {
        fastestWall[db] = wall
        fastest[db] = row.batchSize
      }
    }
  }
  let best: number | undefined
  let bestScore: number | undefined
  for (const row of rows) {
    if (!databases.every((db) => row.wallMs[db] !== undefined)) continue
    row.score = databases.reduce((sum, db) => sum + row.wallMs[db]! / fastestWall[db]!, 0) / databases.length
    if (bestScore === undefined || row.score < bestScore) {
      bestScore = row.score
      best = row.batchSize
    }
  }
  return {rows, fastest, fastestWall, best, bestScore}
}

/** What SQLite's own commits take of the batch-size goal's allowance: its bare insert committing every 100 rows, against every `fastest` rows. */
function sqliteCommitsNote(result: SizeResult | undefined, fastest: number | undefined, bestWall: number | undefined): string {
  const users = medianSqliteCommitFloor(result, USERS_BATCH_SIZE)
  const atFastest = fastest === undefined ? undefined : medianSqliteCommitFloor(result, fastest)
  if (users === undefined || atFastest === undefined || bestWall === undefined) return ''
  const share = USERS_BATCH_LIMIT - 1
  const allowance = share * bestWall
  const commits = `SQLite's bare insert committing every ${USERS_BATCH_SIZE} rows takes ${s(users)}, every ${fastest} rows ${s(atFastest)}: ${s(users - atFastest)} more`
  return users - atFastest > allowance
    ? `. **Out of reach:** ${commits}, over the allowance of ${s(allowance)} (${share.toFixed(2)} × the fastest)`
    : `. Of the allowance of ${s(allowance)} (${share.toFixed(2)} × the fastest), ${commits}`
}

/**
 * What a goal's import cannot go below, from floors measured in the same run: parts of the import's
 * work done alone, each on one thread as the importer does it (so they add up), beside the goal's
 * limit: out of reach when they come to more.
 */
function floorNote(
  measured: number | undefined,
  parts: [what: string, ms: number | undefined][],
  limit: number | undefined,
  rest: string,
): string {
  if (measured === undefined || limit === undefined || parts.some(([, ms]) => ms === undefined)) return ''
  const floor = parts.reduce((sum, [, ms]) => sum + ms!, 0)
  const sum = `${parts.map(([what, ms]) => `${what} ${s(ms)}`).join(' + ')} = ${s(floor)}`
  // An import under its floor means a part of the floor measured more than the import does: said, not hidden.
  const spent =
    measured >= floor
      ? `; the import spent ${s(measured - floor)} on ${rest}`
      : `; the import took ${s(floor - measured)} less than this floor, so the floor overstates what it must do`
  return floor > limit
    ? `. **Out of reach:** its floor, ${sum}, is already over the limit of ${s(limit)} (${ratio(floor, limit)})${spent}`
    : `. Its floor, ${sum}, leaves ${s(limit - floor)} of the ${s(limit)} for ${rest}${spent}`
}
