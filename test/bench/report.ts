/** The report of a bench run: markdown and JSON, with the goals checked (goals.ts). */
import {BATCH_WRITE_STRATEGIES, IMPORTER_BATCH_WRITE, type BatchWrite, type BatchWriteStrategy} from './batchWrites.js'
import type {FetchFloor} from './floors.js'
import {
  CONCURRENCY,
  DEFAULT_BATCH_SIZE,
  DEFAULT_PAGE_SIZE,
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
  medianRead,
  medianReadBack,
  medianSqliteCommitFloor,
  medianWall,
  type Build,
  type ImportSeries,
  type ReportInput,
  type SizeResult,
} from './results.js'
import {
  BATCH_WRITE_PASS,
  BATCH_WRITE_PASSES,
  batchSizeCurve,
  checkGoals,
  describeFastest,
  fastestBatchWrite,
  REFERENCE,
  type Goal,
} from './goals.js'
import {DB_NAME, perRequest, ratio, range, rate, mib, s, totalRows} from './format.js'

const BATCH_WRITE_NAME: Record<BatchWriteStrategy, string> = {
  values: 'multi-row INSERT … VALUES (≤ 65,535 parameters)',
  unnest: 'INSERT … SELECT FROM unnest(one array parameter per column)',
  json: 'INSERT … SELECT FROM jsonb_array_elements(the batch as one JSON parameter)',
  copy: 'COPY into a temporary table + INSERT … SELECT',
}

export function buildReport(input: ReportInput): {markdown: string; json: unknown} {
  const goals = checkGoals(input)
  return {markdown: markdown(input, goals), json: json(input, goals)}
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
  lines.push(
    '',
    "A goal's floor adds up parts of the import's work measured alone, in this run, as the importer's one thread does them (the Floors table): " +
      'an import that checks every record cannot go below it. What was tried against the goals that fail: docs/performance.md, ' +
      '"Re-runs", "Validation" and "Where the rest goes".',
    '',
  )

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
      const {requests} = fetches[0]
      // A snapshot is read from files: no request.
      const read =
        requests === 0 ? `setups ${s(setups)}, climbs ${s(pages)}` : `${requests} requests (setups ${s(setups)}, climbs pages ${s(pages)})`
      const cpu = medianFetchCpu(fetches)
      lines.push(
        `| ${label} | ${floor} | ${fetches.length} | ${s(total)} | ${rate(fetches[0].holds, setups)} | ` +
          `${rate(fetches[0].climbs, pages)} | | ${read}; CPU ${s(cpu)}${requests === 0 ? '' : `, ${perRequest(cpu, requests)} a request`}${note} |`,
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
    fetchRow(
      `fetch + validation, importer's client: the same, each record through the importer's schemas and mapping`,
      result.clientValidate,
      medianRead(result.clientValidate),
      '; the floor of a live re-run',
    )
    fetchRow("snapshot read, importer's SnapshotSource: no validation, no writes", result.snapshotRead, medianRead(result.snapshotRead))
    fetchRow(
      "snapshot read + validation: the same, each record through the importer's schemas and mapping",
      result.snapshotValidate,
      medianRead(result.snapshotValidate),
      '; the floor of a snapshot import and re-run',
    )
    for (const db of databases) {
      const floors = result.insertFloor[db] ?? []
      if (floors.length === 0) continue
      const perTable = (table: string) => median(floors.map((floor) => floor.tables[table]?.ms ?? 0))!
      const total = medianInsertFloor(result, db)!
      const how = db === 'sqlite' ? 'prepared statements, 1 transaction' : 'COPY (CSV), 1 transaction'
      lines.push(
        `| ${label} | insert ${DB_NAME[db]}: ${how} | ${floors.length} | ${s(total)} | ${rate(result.rows.holds, perTable('holds'))} | ` +
          `${rate(result.rows.climbs, perTable('climbs'))} | ${rate(totalRows(result), total)} | ` +
          `then every row read back by Stokt id, ${DEFAULT_BATCH_SIZE} a query: ${s(medianReadBack(result, db))} (the reading thread busy ${s(median(floors.map((floor) => floor.readBackBusyMs)))}) |`,
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
    const commitFloors = Object.keys(reference.sqliteCommitFloor).length > 0
    lines.push(`## Batch-size curve (${REFERENCE} gym, live)`, '')
    lines.push(
      `| --batch-size | ${databases.map((db) => `${DB_NAME[db]} wall | ${DB_NAME[db]} import's own time | ${DB_NAME[db]} rows/s`).join(' | ')} | score |${commitFloors ? ' SQLite bare insert, a commit every N rows |' : ''}`,
    )
    lines.push(`|---:|${databases.map(() => '---:|---:|---:').join('|')}|---:|${commitFloors ? '---:|' : ''}`)
    for (const row of curve.rows) {
      const cells = databases.map((db) => {
        const wall = row.wallMs[db]
        if (wall === undefined) return '– | – | –'
        const runs = row.runs[db] === 1 ? '' : ` (median of ${row.runs[db]})`
        return `${s(wall)}${runs} | ${s(row.cliMs[db])} | ${rate(row.rows[db]!, wall)}`
      })
      const mark = (row.batchSize === curve.best ? ' **best**' : '') + (row.batchSize === USERS_BATCH_SIZE ? " (users' own)" : '')
      const commitFloor = commitFloors ? ` ${s(medianSqliteCommitFloor(reference, row.batchSize))} |` : ''
      lines.push(
        `| ${row.batchSize}${mark} | ${cells.join(' | ')} | ${row.score === undefined ? '–' : row.score.toFixed(2)} |${commitFloor}`,
      )
    }
    lines.push('', "score: mean over the databases of wall ÷ that database's fastest wall (1.00 = fastest on both).", '')
    if (commitFloors)
      lines.push(
        "SQLite bare insert: the insert floor's rows with prepared statements, a transaction every N rows of each table, checkpointed as the importer does; medians of the runs. What SQLite's commits cost at each size, before any of the importer's own work.",
        '',
      )
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
        clientValidateMs: medianRead(result.clientValidate),
        snapshotReadMs: medianRead(result.snapshotRead),
        snapshotValidateMs: medianRead(result.snapshotValidate),
        readBackMs: Object.fromEntries(input.databases.map((db) => [db, medianReadBack(result, db)])),
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
