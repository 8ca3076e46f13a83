/** The goals of the issue, checked on the medians, and the report: markdown and JSON. */
import type {DatabaseKind} from '../support/databases.js'
import {BATCH_WRITE_STRATEGIES, IMPORTER_BATCH_WRITE, type BatchWrite, type BatchWriteStrategy} from './batchWrites.js'
import type {FetchFloor} from './floors.js'
import {SIZE_PRESETS, type BenchOptions} from './options.js'
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
  medianBatchWriteCpu,
  medianClientFetch,
  medianFetchCpu,
  medianFetchFloor,
  medianHttpFetchFloor,
  medianImportTime,
  medianInsertFloor,
  medianWall,
  type Build,
  type Failure,
  type ImportSeries,
  type Machine,
  type SizeResult,
  type StartupSeries,
} from './results.js'

export interface ReportInput {
  date: string
  machine: Machine
  build: {start: Build; end: Build}
  options: BenchOptions
  databases: DatabaseKind[]
  planNotes: string[]
  results: SizeResult[]
  startup: StartupSeries[]
  failures: Failure[]
  benchWallMs: number
}

export type GoalStatus = 'PASS' | 'FAIL' | 'SKIP' | 'INFO'

export interface Goal {
  status: GoalStatus
  goal: string
  detail: string
}

const DB_NAME: Record<DatabaseKind, string> = {sqlite: 'SQLite', postgres: 'PostgreSQL'}
const BATCH_WRITE_NAME: Record<BatchWriteStrategy, string> = {
  values: 'multi-row INSERT … VALUES (≤ 65,535 parameters)',
  unnest: 'INSERT … SELECT FROM unnest(one array parameter per column)',
  json: 'INSERT … SELECT FROM jsonb_array_elements(the batch as one JSON parameter)',
  copy: 'COPY into a temporary table + INSERT … SELECT',
}
const BATCH_WRITE_PASS: Record<keyof BatchWrite, string> = {empty: 'empty tables', existing: 'existing rows'}
const BATCH_WRITE_PASSES = ['empty', 'existing'] as const
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
const REFERENCE = SIZE_PRESETS.find((size) => size.reference)!.label
/** The gym of the memory goal (100,000 climbs). */
const LARGE = '100k'

export function buildReport(input: ReportInput): {markdown: string; json: unknown} {
  const goals = checkGoals(input)
  return {markdown: markdown(input, goals), json: json(input, goals)}
}

// ---------------------------------------------------------------------------------------------
// Goals

/** The snapshot goal per database: SQLite's bare insert is the cheaper floor, so its bound is looser. */
const SNAPSHOT_LIMIT: Record<DatabaseKind, number> = {sqlite: 3.5, postgres: 3}

function checkGoals({results, databases, startup}: ReportInput): Goal[] {
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
    check(
      `snapshot batch import ≤ ${limit}× the bare insert, ${REFERENCE}, ${DB_NAME[db]}`,
      snapshot,
      insert && limit * insert,
      () =>
        `${s(snapshot)} vs ${limit} × ${s(insert)} = ${s(limit * insert!)}: ${ratio(snapshot, insert)} the bare insert (median of ${findSeries(reference, db, 'snapshot')?.samples.length ?? 0})`,
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
        `${s(rerun)} vs 0.8 × ${s(snapshot)} = ${s(0.8 * snapshot!)}: ${ratio(rerun, snapshot)} the first; all unchanged and no row written in ${clean}/${samples.length} re-runs`,
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
        `all unchanged and no row written in ${clean}/${samples.length} re-runs`,
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
          `wall ${s(wall)} vs the fastest, --batch-size ${curve.fastest[db]}, ${s(best)}: ${ratio(wall, best)}; import's own time ${s(cli)} vs the curve's best ${s(bestCli)}: ${ratio(cli, bestCli)}`,
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

function fastestBatchWrite(result: SizeResult | undefined, pass: keyof BatchWrite): FastestBatchWrite | undefined {
  const ranked = BATCH_WRITE_STRATEGIES.flatMap((strategy) => {
    const ms = medianBatchWrite(result, strategy, pass)
    return ms === undefined ? [] : [{strategy, ms}]
  }).sort((a, b) => a.ms - b.ms)
  return ranked.length === 0 ? undefined : {...ranked[0], next: ranked[1]}
}

function describeFastest({strategy, ms, next}: FastestBatchWrite): string {
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

function batchSizeCurve(result: SizeResult | undefined, databases: DatabaseKind[]) {
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

// ---------------------------------------------------------------------------------------------
// Markdown

function markdown(input: ReportInput, goals: Goal[]): string {
  const {machine, results, databases} = input
  const lines: string[] = []
  lines.push('# mastoc import benchmark', '')
  lines.push(
    `${input.date} · ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB · node ${machine.node} · SQLite ${machine.sqlite} · ` +
      `PostgreSQL ${machine.postgres ?? 'not available (skipped)'} · ${machine.platform}`,
    '',
    `Load average (1, 5, 15 min) at the start: ${machine.loadAverage.start.join(', ')}; at the end: ${machine.loadAverage.end?.join(', ') ?? '?'} ` +
      `(${machine.cores} cores; above ~1 other work was competing with the bench).`,
    '',
    buildLine(input.build),
    '',
    `Sizes ${input.options.sizes.map((size) => size.label).join(', ')}; --runs ${input.options.runs}${input.options.quick ? ' (--quick)' : ''}. ` +
      `**Bench wall time: ${(input.benchWallMs / 60_000).toFixed(1)} min** (${s(input.benchWallMs)}; \`npm run build\` before it not included).`,
    '',
  )

  lines.push('## Goals', '')
  for (const goal of goals) lines.push(`- **${goal.status}** ${goal.goal}: ${goal.detail}`)
  lines.push('')

  if (input.startup.length > 0) {
    const bare = median(input.startup[0].samplesMs)!
    lines.push('## Start-up (whole processes, spawn to exit)', '')
    lines.push('| | runs | median | range | × bare node |', '|---|---:|---:|---:|---:|')
    for (const series of input.startup) {
      const ms = median(series.samplesMs)!
      lines.push(`| ${series.label} | ${series.samplesMs.length} | ${ms.toFixed(0)} ms | ${range(series.samplesMs)} | ${ratio(ms, bare)} |`)
    }
    lines.push('')
  }

  lines.push('## Floors', '')
  lines.push('| gym | floor | runs | median | holds/s | climbs/s | all rows/s | |')
  lines.push('|---|---|---:|---:|---:|---:|---:|---|')
  for (const result of results) {
    const {label} = result.size
    const fetchRow = (floor: string, fetches: readonly FetchFloor[], total: number | undefined, note = '') => {
      if (fetches.length === 0) return
      const setups = median(fetches.map((fetch) => fetch.setupsMs))!
      const pages = median(fetches.map((fetch) => fetch.climbsMs))!
      lines.push(
        `| ${label} | ${floor} | ${fetches.length} | ${s(total)} | ${rate(fetches[0].holds, setups)} | ` +
          `${rate(fetches[0].climbs, pages)} | | ${fetches[0].requests} requests (setups ${s(setups)}, climbs pages ${s(pages)}); ` +
          `CPU ${s(medianFetchCpu(fetches))}, ${perRequest(medianFetchCpu(fetches), fetches[0].requests)} a request${note} |`,
      )
    }
    fetchRow('fetch: plain fetch + JSON.parse', result.fetchFloor, medianFetchFloor(result))
    fetchRow("fetch: node:http + JSON.parse (reported, not a goal's floor)", result.httpFetchFloor, medianHttpFetchFloor(result))
    fetchRow(
      `fetch, importer's client: StoktClient, concurrency ${CONCURRENCY}, no validation, no writes`,
      result.clientFetch,
      medianClientFetch(result),
      '; the bound of a re-run',
    )
    for (const db of databases) {
      const floors = result.insertFloor[db] ?? []
      if (floors.length === 0) continue
      const perTable = (table: string) => median(floors.map((floor) => floor.tables[table]?.ms ?? 0))!
      const total = medianInsertFloor(result, db)!
      const how = db === 'sqlite' ? 'prepared statements, 1 transaction' : 'COPY (CSV), 1 transaction'
      lines.push(
        `| ${label} | insert ${DB_NAME[db]}: ${how} | ${floors.length} | ${s(total)} | ${rate(result.rows.holds, perTable('holds'))} | ` +
          `${rate(result.rows.climbs, perTable('climbs'))} | ${rate(totalRows(result), total)} | |`,
      )
    }
  }
  lines.push('')

  const batchWrites = results.find((result) => result.size.label === REFERENCE && Object.keys(result.batchWrites).length > 0)
  if (batchWrites) lines.push(...batchWritesSection(batchWrites))

  lines.push('## Imports', '')
  lines.push('| gym | database | import | runs | wall (median) | CLI (median) | rows/s | ratio (CLI time) | peak RSS |')
  lines.push('|---|---|---|---:|---:|---:|---:|---|---:|')
  for (const result of results) {
    for (const series of result.imports) {
      if (series.mode === 'curve') continue // in the curve's table
      const wall = medianWall(series)!
      const cli = median(series.samples.map((sample) => sample.cliMs))!
      const rss = max(series.samples.map((sample) => sample.peakRssKb))
      lines.push(
        `| ${result.size.label} | ${DB_NAME[series.db]} | ${importName(series)} | ${series.samples.length} | ${s(wall)} | ${s(cli)} | ` +
          `${rate(series.samples[0].rows, wall)} | ${ratioNote(result, series)} | ${rss === undefined ? '?' : mib(rss)} |`,
      )
    }
  }
  lines.push('')

  const reference = results.find((result) => result.size.label === REFERENCE)
  if (reference) {
    const curve = batchSizeCurve(reference, databases)
    lines.push(`## Batch-size curve (${REFERENCE} gym, live)`, '')
    lines.push(
      `| --batch-size | ${databases.map((db) => `${DB_NAME[db]} wall | ${DB_NAME[db]} import's own time | ${DB_NAME[db]} rows/s`).join(' | ')} | score |`,
    )
    lines.push(`|---:|${databases.map(() => '---:|---:|---:').join('|')}|---:|`)
    for (const row of curve.rows) {
      const cells = databases.map((db) => {
        const wall = row.wallMs[db]
        if (wall === undefined) return '– | – | –'
        const runs = row.runs[db] === 1 ? '' : ` (median of ${row.runs[db]})`
        return `${s(wall)}${runs} | ${s(row.cliMs[db])} | ${rate(row.rows[db]!, wall)}`
      })
      const mark = (row.batchSize === curve.best ? ' **best**' : '') + (row.batchSize === USERS_BATCH_SIZE ? " (users' own)" : '')
      lines.push(`| ${row.batchSize}${mark} | ${cells.join(' | ')} | ${row.score === undefined ? '–' : row.score.toFixed(2)} |`)
    }
    lines.push('', "score: mean over the databases of wall ÷ that database's fastest wall (1.00 = fastest on both).", '')
  }

  lines.push('## How it was measured', '')
  for (const note of input.planNotes) lines.push(`- ${note}`)
  lines.push(
    "- rows/s: the floors time holds and climbs separately; the CLI does not report per-entity times, so an import's rows/s is all its rows (faces, holds, setters, climbs) over its wall time.",
    '- The Stokt test server runs in the bench process, on the same 2 cores as the importer and the databases.',
    '',
  )
  if (input.failures.length > 0) {
    lines.push('## Failed measurements (left out of the medians)', '')
    for (const failure of input.failures) lines.push(`- ${failure.size}, ${failure.task}, round ${failure.round}: ${failure.message}`)
    lines.push('')
  }
  return lines.join('\n')
}

function batchWritesSection(result: SizeResult): string[] {
  const floor = medianInsertFloor(result, 'postgres')
  const fastest = {empty: fastestBatchWrite(result, 'empty'), existing: fastestBatchWrite(result, 'existing')}
  const lines = [
    `## PostgreSQL batch writes (${result.size.label} gym, upserts in batches of ${DEFAULT_BATCH_SIZE} rows, each its own transaction)`,
    '',
    '| strategy | runs | empty tables: wall (median) | × COPY floor | client CPU (median) | existing rows: wall (median) | × COPY floor | client CPU (median) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const strategy of BATCH_WRITE_STRATEGIES) {
    const writes = result.batchWrites[strategy] ?? []
    if (writes.length === 0) continue
    const cells = BATCH_WRITE_PASSES.map((pass) => {
      const ms = medianBatchWrite(result, strategy, pass)
      const time = fastest[pass]?.strategy === strategy ? `**${s(ms)}**` : s(ms)
      return `${time} | ${ratio(ms, floor)} | ${s(medianBatchWriteCpu(result, strategy, pass))}`
    })
    const importer = strategy === IMPORTER_BATCH_WRITE ? " — the importer's" : ''
    lines.push(`| ${strategy}: ${BATCH_WRITE_NAME[strategy]}${importer} | ${writes.length} | ${cells.join(' | ')} |`)
  }
  const verdict = BATCH_WRITE_PASSES.map(
    (pass) => `on ${BATCH_WRITE_PASS[pass]} ${fastest[pass] === undefined ? '?' : describeFastest(fastest[pass]!)}`,
  ).join('; ')
  lines.push(
    '',
    `**Fastest ${verdict}.** All statements end in ON CONFLICT (stokt_id) DO UPDATE; the COPY floor (${s(floor)}) is one plain COPY per table in a single transaction. ` +
      "Client CPU: the bench process's CPU time (user + system) over the pass; the server's is not in it.",
    '',
    importerBatchWriteNote(result),
    '',
  )
  return lines
}

/** Why the importer writes the way it does, with this run's numbers beside unnest's, its shape before. */
function importerBatchWriteNote(result: SizeResult): string {
  const importer = IMPORTER_BATCH_WRITE
  const why =
    `The importer (PostgresRowWriter) writes the ${importer} way: the PostgreSQL server works in its own process, overlapped with the importer's ` +
    "next batch, so what an import waits on is the client's CPU, not a statement's wall time."
  const against = BATCH_WRITE_PASSES.flatMap((pass) => {
    const cpu = ratio(medianBatchWriteCpu(result, importer, pass), medianBatchWriteCpu(result, 'unnest', pass))
    const wall = ratio(medianBatchWrite(result, importer, pass), medianBatchWrite(result, 'unnest', pass))
    return cpu === '?×' ? [] : [`${cpu} unnest's client CPU at ${wall} its wall time on ${BATCH_WRITE_PASS[pass]}`]
  })
  return against.length === 0 ? why : `${why} Here ${importer} used ${against.join('; ')}.`
}

function buildLine({start, end}: ReportInput['build']): string {
  const describe = (build: Build) =>
    `commit ${build.commit ?? '?'}${build.uncommittedChanges ? ' + uncommitted changes to src/' : ''}, dist/ ${build.distSha256}`
  if (start.distSha256 === end.distSha256 && start.commit === end.commit) return `Importer measured: ${describe(start)}.`
  return (
    `**Warning: the importer changed during the bench** (others work in this tree): at the start ${describe(start)}; ` +
    `at the end ${describe(end)}. Numbers may mix two builds; run it again when the tree is quiet.`
  )
}

function importName(series: ImportSeries): string {
  switch (series.mode) {
    case 'live':
    case 'curve':
      return `live, batch ${series.batchSize}`
    case 'rerun':
      return `re-run (unchanged gym), batch ${series.batchSize}`
    case 'snapshot':
      return `--from-snapshot, batch ${series.batchSize}`
    case 'snapshot-rerun':
      return `--from-snapshot re-run (unchanged gym), batch ${series.batchSize}`
    case 'row-by-row':
      return 'live, row-by-row (--no-batch)'
    case 'latency':
      return `live, ${series.latencyMs} ms latency, batch ${series.batchSize}, --concurrency ${CONCURRENCY}, page_size ignored (pages of ${PAGE_SIZE})`
    case 'latency-paged':
      return `live, ${series.latencyMs} ms latency, batch ${series.batchSize}, --concurrency ${CONCURRENCY}, page_size honoured, --page-size ${series.pageSize ?? `${DEFAULT_PAGE_SIZE} (default)`}`
  }
}

/**
 * Each import against what it is measured by, in the import's own time (the CLI's durationMs) as
 * the goals are: the wall time adds node's start-up and migrating, which the floors do not have.
 */
function ratioNote(result: SizeResult, series: ImportSeries): string {
  const own = medianImportTime(series)
  switch (series.mode) {
    case 'live':
    case 'curve': {
      const floors = (medianFetchFloor(result) ?? NaN) + (medianInsertFloor(result, series.db) ?? NaN)
      return `${ratio(own, floors)} fetch + insert floors`
    }
    case 'rerun': {
      const clean = series.samples.filter((sample) => sample.allUnchanged && sample.wroteNoRow).length
      return `${ratio(own, medianImportTime(findSeries(result, series.db, 'live')))} first run; nothing written ${clean}/${series.samples.length}`
    }
    case 'snapshot':
      return `${ratio(own, medianInsertFloor(result, series.db))} insert floor`
    case 'snapshot-rerun':
      return `${ratio(own, medianImportTime(findSeries(result, series.db, 'snapshot')))} first snapshot import`
    case 'row-by-row':
      return `${ratio(own, medianImportTime(findSeries(result, series.db, 'live')))} batch`
    case 'latency':
    case 'latency-paged': {
      const requests = median(series.samples.map((sample) => sample.requests ?? 0))!
      return `${ratio(own, (requests * series.latencyMs) / CONCURRENCY)} latency floor (${requests} req)`
    }
  }
}

// ---------------------------------------------------------------------------------------------
// JSON

function json(input: ReportInput, goals: Goal[]): unknown {
  return {
    date: input.date,
    machine: input.machine,
    build: input.build,
    options: {sizes: input.options.sizes.map((size) => size.label), runs: input.options.runs, quick: input.options.quick},
    databases: input.databases,
    benchWallMs: Math.round(input.benchWallMs),
    plan: input.planNotes,
    goals,
    sizes: input.results.map((result) => ({
      ...result,
      medians: {
        fetchFloorMs: medianFetchFloor(result),
        clientFetchMs: medianClientFetch(result),
        fetchFloorCpuMs: medianFetchCpu(result.fetchFloor),
        httpFetchFloorMs: medianHttpFetchFloor(result),
        httpFetchFloorCpuMs: medianFetchCpu(result.httpFetchFloor),
        clientFetchCpuMs: medianFetchCpu(result.clientFetch),
        insertFloorMs: Object.fromEntries(input.databases.map((db) => [db, medianInsertFloor(result, db)])),
        batchWritesMs: batchWriteMedians(result, medianBatchWrite),
        batchWritesClientCpuMs: batchWriteMedians(result, medianBatchWriteCpu),
      },
      imports: result.imports.map((series) => ({
        ...series,
        medianWallMs: medianWall(series),
        medianCliMs: median(series.samples.map((sample) => sample.cliMs)),
        maxPeakRssKb: max(series.samples.map((sample) => sample.peakRssKb)),
        rowsPerSecond: Math.round(series.samples[0].rows / (medianWall(series)! / 1000)),
      })),
    })),
    startup: input.startup.map((series) => ({...series, medianMs: median(series.samplesMs)})),
    failures: input.failures,
  }
}

/** strategy → {empty, existing}, for the strategies measured. */
function batchWriteMedians(
  result: SizeResult,
  medianOf: typeof medianBatchWrite,
): Record<string, Record<keyof BatchWrite, number | undefined>> {
  return Object.fromEntries(
    BATCH_WRITE_STRATEGIES.filter((strategy) => result.batchWrites[strategy] !== undefined).map((strategy) => [
      strategy,
      {empty: medianOf(result, strategy, 'empty'), existing: medianOf(result, strategy, 'existing')},
    ]),
  )
}

// ---------------------------------------------------------------------------------------------

function totalRows(result: SizeResult): number {
  return Object.values(result.rows).reduce((sum, count) => sum + count, 0)
}

function s(ms: number | undefined): string {
  return ms === undefined || Number.isNaN(ms) ? '?' : `${(ms / 1000).toFixed(2)} s`
}

/** "1.23 ms": a CPU time spread over requests. */
function perRequest(ms: number | undefined, requests: number): string {
  return ms === undefined || requests === 0 ? '?' : `${(ms / requests).toFixed(2)} ms`
}

function ratio(value: number | undefined, base: number | undefined): string {
  return value === undefined || base === undefined || Number.isNaN(value / base) ? '?×' : `${(value / base).toFixed(2)}×`
}

/** "152–310 ms": the fastest and slowest of the runs. */
function range(samplesMs: readonly number[]): string {
  return `${Math.min(...samplesMs).toFixed(0)}–${Math.max(...samplesMs).toFixed(0)} ms`
}

function rate(rows: number, ms: number): string {
  return Math.round(rows / (ms / 1000)).toLocaleString('en-US')
}

function mib(kb: number): string {
  return `${Math.round(kb / 1024)} MiB`
}
