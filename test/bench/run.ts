/**
 * `npm run bench`: how fast `mastoc import all` is, beside what the network and the databases allow.
 *
 * For each gym size (1k, 20k, 100k climbs; ~800 holds per face), a generated gym is served by the
 * Stokt test server (pages of 30) in this process, and the CLI is run as a child process under
 * /usr/bin/time, each time into a fresh database. In the same run, on the same gym, the floors:
 * a bare fetch of the same pages, the importer's own client fetching them, and a bare insert of the
 * same rows (floors.ts); on the 20k gym, four ways of upserting those rows into PostgreSQL in
 * batches (batchWrites.ts). Measurements are interleaved in rounds (round 1 of everything, then
 * round 2…) so that the machine's slow spells spread over all of them; medians are reported. What
 * runs, and how often: PLAN_NOTES below.
 */
import {createHash} from 'node:crypto'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import type {Knex} from 'knex'

import {POSTGRES_AVAILABLE, type DatabaseKind} from '../support/databases.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {startStoktServer, type StoktServer} from '../support/stoktServer.js'
import {writeGymSnapshot} from '../support/writeSampleGym.js'
import {BATCH_WRITE_STRATEGIES, measureBatchWrite, type BatchWritePass, type BatchWriteStrategy} from './batchWrites.js'
import {CLI_BIN, runImport, rowsRejected, summaryRows, SUMMARY_ENTITIES, type ImportRun, type ImportSummary} from './cli.js'
import {
  measureClientFetch,
  measureFetchFloor,
  measureHttpFetchFloor,
  measureInsertFloor,
  measureSqliteCommitFloor,
  measureSnapshotRead,
  type FetchFloor,
  type SourceRead,
} from './floors.js'
import {describeBuild, describeMachine, loadAverage} from './machine.js'
import {parseBenchOptions, SIZE_PRESETS, USAGE, type BenchOptions, type SizePreset} from './options.js'
import {buildReport} from './report.js'
import {
  CONCURRENCY,
  CURVE_BATCH_SIZES,
  CURVE_PAGE_SIZES,
  DEFAULT_BATCH_SIZE,
  DEFAULT_PAGE_SIZE,
  LATENCY_MS,
  PAGE_SIZE,
  type Failure,
  type ImportMode,
  type ImportSample,
  type ImportSeries,
  type SizeResult,
  type StartupSeries,
} from './results.js'
import {refreshPerformanceDoc} from './performanceDoc.js'
import {BASELINE_CASES, cliCases, measureStartup, smallSqliteFile} from './startup.js'
import {encodeRows, rowsOfGym} from './rows.js'
import {dropScratchDatabases, withScratchDatabase} from './scratch.js'

/** Runs of the snapshot imports on the reference gym: medians of at least 5, as its goal asks. */
const SNAPSHOT_RUNS = 5

const PLAN_NOTES = [
  `Gyms: 1k = 1 face, 20k = 10 faces, 100k = 50 faces, 800 holds each; served in pages of ${PAGE_SIZE}; imports use --batch-size ${DEFAULT_BATCH_SIZE} (the default) unless said.`,
  `Snapshot imports, each followed by a re-run of the same snapshot: on 20k at least ${SNAPSHOT_RUNS} times (but in a --runs 1 bench).`,
  '1k and 20k: every measurement --runs times (default 3), medians; 100k: one run of the floors and of the live batch imports only (no snapshot, re-run or latency runs: the time budget).',
  'Row-by-row (--no-batch): --runs times on 1k, ONE run on 20k (PostgreSQL writes a few hundred rows/s that way), not run on 100k.',
  `Latency: the 1k and 20k gyms served with ${LATENCY_MS} ms before every response, imported into SQLite only, --concurrency ${CONCURRENCY}, ` +
    `twice: by a Stokt that ignores page_size (pages of ${PAGE_SIZE}, as it served before) and by one that honours it (the default --page-size ${DEFAULT_PAGE_SIZE}); ` +
    `on 20k, also --page-size ${CURVE_PAGE_SIZES.filter((size) => size !== DEFAULT_PAGE_SIZE).join(', ')} against the one that honours it.`,
  'Start-up: whole processes, spawn to exit, interleaved, 5 × --runs runs each (at least 10) after one unmeasured round: node -e 0, node loading @oclif/core alone, and mastoc --version, --help, import all --help, status on a SQLite file holding the sample gym.',
  `Batch-size curve: the 20k gym, live, SQLite and PostgreSQL; every size --runs times, interleaved in the rounds like the rest, all sizes one after the other (batch ${DEFAULT_BATCH_SIZE} too, apart from the live runs): single runs here differ by more than the sizes do. Beside each size, SQLite's bare insert of the same rows with a transaction every N rows of each table (--runs times): what SQLite's own commits cost at that size.`,
  'Wall = the CLI process from spawn to exit (node start-up and migrating the fresh database included); CLI = its own durationMs, the import itself. The goals compare the CLI time with the floors, which are timed in-process too. Peak RSS = /usr/bin/time %M of the CLI process alone (max over runs).',
  "Floors: fetch = plain fetch + JSON.parse, one request at a time, in a process of its own (and, beside it, the same walk through node:http with a keep-alive agent: Node's cheapest HTTP client, reported only); insert = the rows and columns a first import writes, encoded as each database stores them, with better-sqlite3 prepared statements in one transaction / PostgreSQL COPY (CSV) in one transaction, into a database freshly migrated by the project migrations (migration not timed).",
  `Fetch, importer's client: a re-run must fetch every page again (Stokt has no conditional requests), so it can never be faster than the importer's own client fetching everything. ` +
    `Measured beside the fetch floor (same gyms, same runs, a process of its own): the built StoktClient at --concurrency ${CONCURRENCY} (the default) reads the summary, the walls, ` +
    `every face setup (up to ${CONCURRENCY} at once, in order, as the importer does) and every climbs page with max_age 9999 (reading up to ${CONCURRENCY} pages ahead); no validation, no writes. ` +
    'The re-run goals show it as their bound. ' +
    "Beside it, the same walk with every record also through the importer's schemas (parseRecord, each setter and climb once), each climb's holds checked to be on its face and each record mapped to its row, and the importer's SnapshotSource reading the gym's snapshot without and with all that: " +
    'what a re-run, which reads and checks everything again, cannot go below (no cache may skip checking what Stokt served). ' +
    "After each insert floor, every row is read back by its Stokt id, a batch of ids a query, as a re-run looks rows up before comparing: that is the lookup part of the re-runs' floor. " +
    "Both fetch rows also give the fetching process's CPU time (user + system, whole and per request): what the HTTP client and JSON.parse cost the one thread that, in an import, also validates and writes.",
  `PostgreSQL batch writes (20k only, --runs times, in-process like the floors): the insert floor's rows in batches of ${DEFAULT_BATCH_SIZE} rows per table, each batch its own transaction, ` +
    'every statement an upsert (ON CONFLICT (stokt_id) DO UPDATE of the owned columns and stamps), four ways: multi-row VALUES (chunked under 65,535 parameters), ' +
    "INSERT … SELECT FROM unnest(one array parameter per column), INSERT … SELECT casts FROM jsonb_array_elements(the batch as one JSON parameter) (the importer's statement shape), " +
    'COPY (CSV) into a temporary table (ON COMMIT DELETE ROWS, made once per connection) + INSERT … SELECT; ' +
    'statements prepared once per connection. Timed into a freshly migrated database (empty tables), then the same rows again on the same connection (existing rows: every row conflicts and is rewritten). ' +
    "Each pass records its wall time and the bench process's CPU time (process.cpuUsage, user + system): the client's share, which is what an import waits on, the server working in its own process. " +
    'Writes only: no lookup or change detection, which the importer adds (and which lets it skip unchanged rows).',
]

const benchStarted = performance.now()

function log(message: string): void {
  const seconds = Math.round((performance.now() - benchStarted) / 1000)
  const stamp = `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`
  console.error(`[${stamp}] ${message}`)
}

/** One measurement, repeated `runs` times (once per round). Returns a line for the progress log. */
interface Task {
  label: string
  runs: number
  run(): Promise<string>
}

async function main(): Promise<void> {
  let options: BenchOptions
  try {
    const parsed = parseBenchOptions(process.argv.slice(2))
    if (parsed === 'help') {
      console.log(USAGE)
      return
    }
    options = parsed
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`)
    process.exitCode = 2
    return
  }

  process.once('SIGINT', () => {
    log('interrupted: dropping the scratch databases')
    void dropScratchDatabases().finally(() => process.exit(130))
  })

  const databases: DatabaseKind[] = POSTGRES_AVAILABLE ? ['sqlite', 'postgres'] : ['sqlite']
  const date = new Date().toISOString()
  const machine = await describeMachine()
  const buildAtStart = await describeBuild()
  log(`mastoc bench: sizes ${options.sizes.map((size) => size.label).join(', ')}; runs ${options.runs}; ${databases.join(' + ')}`)

  const workDir = await mkdtemp(join(tmpdir(), 'mastoc-bench-'))
  const results: SizeResult[] = []
  const failures: Failure[] = []
  let startup: StartupSeries[] = []
  try {
    startup = await benchStartup(Math.max(10, 5 * options.runs), failures)
    for (const size of options.sizes) results.push(await benchSize(size, options.runs, databases, workDir, failures))
  } finally {
    await rm(workDir, {recursive: true, force: true})
  }

  const benchWallMs = performance.now() - benchStarted
  machine.loadAverage.end = loadAverage()
  const build = {start: buildAtStart, end: await describeBuild()}
  if (build.start.distSha256 !== build.end.distSha256)
    log('WARNING: dist/ was rebuilt during the bench: the numbers mix two builds of the importer')
  const report = buildReport({date, machine, build, options, databases, planNotes: PLAN_NOTES, results, startup, failures, benchWallMs})
  const outDir = resolve(options.outDir)
  await mkdir(outDir, {recursive: true})
  await writeFile(join(outDir, 'results.json'), `${JSON.stringify(report.json, null, 2)}\n`)
  await writeFile(join(outDir, 'results.md'), report.markdown)
  console.log(report.markdown)
  log(`wrote ${join(outDir, 'results.md')} and results.json; bench wall time ${(benchWallMs / 60_000).toFixed(1)} min`)
  // A --quick run, or one of some sizes, is for trying the bench: it does not replace the published figures.
  if (!options.quick && options.sizes.length === SIZE_PRESETS.length) log(`refreshed ${await refreshPerformanceDoc(report.markdown)}`)
  else log('docs/performance.md left as it was: only a full run (every size, not --quick) replaces its figures')
}

async function benchStartup(runs: number, failures: Failure[]): Promise<StartupSeries[]> {
  log(`start-up: ${runs} runs of each case`)
  try {
    const database = await smallSqliteFile()
    try {
      return await measureStartup([...BASELINE_CASES, ...cliCases(CLI_BIN, database.path)], runs)
    } finally {
      await database.cleanup()
    }
  } catch (error) {
    failures.push({size: '-', task: 'start-up', round: 0, message: (error as Error).message})
    log(`start-up: FAILED ${(error as Error).message}`)
    return []
  }
}

async function benchSize(
  size: SizePreset,
  runs: number,
  databases: DatabaseKind[],
  workDir: string,
  failures: Failure[],
): Promise<SizeResult> {
  log(`${size.label}: generating ${size.faces} faces x ${size.holdsPerFace} holds, ${size.climbs} climbs`)
  const gym = generateGym({seed: 1, faces: size.faces, holdsPerFace: size.holdsPerFace, climbs: size.climbs, setters: size.setters})
  const gymRows = rowsOfGym(gym)
  // Each database gets the rows in its own encodings, as the importer writes them.
  const tables = {sqlite: encodeRows(gymRows, 'sqlite'), postgres: encodeRows(gymRows, 'postgres')}
  const rows = Object.fromEntries(tables.sqlite.map((table) => [table.table, table.rows.length]))
  const result: SizeResult = {
    size,
    rows,
    fetchFloor: [],
    httpFetchFloor: [],
    clientFetch: [],
    clientValidate: [],
    snapshotRead: [],
    snapshotValidate: [],
    insertFloor: {},
    sqliteCommitFloor: {},
    batchWrites: {},
    imports: [],
  }

  const server = await startStoktServer({gym, pageSize: PAGE_SIZE})
  const slowServer = size.large ? undefined : await startStoktServer({gym, pageSize: PAGE_SIZE, latencyMs: LATENCY_MS})
  const slowPagingServer = size.large
    ? undefined
    : await startStoktServer({gym, pageSize: PAGE_SIZE, latencyMs: LATENCY_MS, honourPageSize: true})
  const snapshotDir = join(workDir, `snapshot-${size.label}`)
  if (!size.large) await writeGymSnapshot(gym, snapshotDir, PAGE_SIZE)

  const measure = new SizeMeasurements(result, gym, server)
  const repeat = size.large ? 1 : runs
  const tasks: Task[] = [
    {label: 'fetch floor', runs: repeat, run: () => measure.fetchFloor()},
    {label: 'fetch floor, node:http', runs: repeat, run: () => measure.httpFetchFloor()},
    {label: "fetch, importer's client", runs: repeat, run: () => measure.clientFetch(false)},
    {label: "fetch + validation, importer's client", runs: repeat, run: () => measure.clientFetch(true)},
    ...databases.map((db) => ({label: `insert floor ${db}`, runs: repeat, run: () => measure.insertFloor(db, tables[db])})),
    ...databases.map((db) => ({
      label: `live ${db} batch ${DEFAULT_BATCH_SIZE}${size.large ? '' : ' + re-run'}`,
      runs: repeat,
      run: () => measure.live(db, DEFAULT_BATCH_SIZE, !size.large),
    })),
  ]
  if (!size.large) {
    // At least 5 runs but in a one-run (--quick) bench: the goal compares medians, on a machine that moves by ±15%.
    const snapshotRuns = size.reference && repeat > 1 ? Math.max(repeat, SNAPSHOT_RUNS) : repeat
    tasks.push(
      {label: 'snapshot read', runs: repeat, run: () => measure.snapshotRead(snapshotDir, false)},
      {label: 'snapshot read + validation', runs: repeat, run: () => measure.snapshotRead(snapshotDir, true)},
      ...databases.map((db) => ({
        label: `snapshot ${db} batch ${DEFAULT_BATCH_SIZE} + re-run`,
        runs: snapshotRuns,
        run: () => measure.snapshot(db, snapshotDir),
      })),
    )
    const rowByRowRuns = size.reference ? 1 : runs
    tasks.push(...databases.map((db) => ({label: `live ${db} row-by-row`, runs: rowByRowRuns, run: () => measure.rowByRow(db)})))
    if (slowServer)
      tasks.push({
        label: `live sqlite ${LATENCY_MS} ms latency, page_size ignored`,
        runs: repeat,
        run: () => measure.latency('sqlite', slowServer),
      })
    if (slowPagingServer) {
      tasks.push({
        label: `live sqlite ${LATENCY_MS} ms latency, page_size honoured`,
        runs: repeat,
        run: () => measure.latencyPaged('sqlite', slowPagingServer, null),
      })
      if (size.reference) {
        for (const pageSize of CURVE_PAGE_SIZES.filter((candidate) => candidate !== DEFAULT_PAGE_SIZE)) {
          tasks.push({
            label: `page-size curve: ${LATENCY_MS} ms latency, --page-size ${pageSize}`,
            runs: repeat,
            run: () => measure.latencyPaged('sqlite', slowPagingServer, pageSize),
          })
        }
      }
    }
  }
  if (size.reference && databases.includes('postgres')) {
    tasks.push(
      ...BATCH_WRITE_STRATEGIES.map((strategy) => ({
        label: `batch writes postgres: ${strategy}`,
        runs: repeat,
        run: () => measure.batchWrite(strategy, tables.postgres),
      })),
    )
  }
  if (size.reference) {
    // Every size of the curve, the default's too, one after the other: the machine's load changes
    // from one part of a round to the next, and the sizes are compared with one another.
    for (const batchSize of CURVE_BATCH_SIZES) {
      if (databases.includes('sqlite'))
        tasks.push({
          label: `curve: SQLite bare insert, a commit every ${batchSize} rows`,
          runs: repeat,
          run: () => measure.sqliteCommitFloor(tables.sqlite, batchSize),
        })
      tasks.push(
        ...databases.map((db) => ({
          label: `curve: live ${db} batch ${batchSize}`,
          runs: repeat,
          run: () => measure.live(db, batchSize, false, 'curve'),
        })),
      )
    }
  }

  try {
    const rounds = Math.max(...tasks.map((task) => task.runs))
    for (let round = 1; round <= rounds; round++) {
      for (const task of tasks) {
        if (round > task.runs) continue
        const prefix = `${size.label} ${round}/${task.runs} ${task.label}`
        try {
          log(`${prefix}: ${await task.run()}`)
        } catch (error) {
          const message = (error as Error).message
          failures.push({size: size.label, task: task.label, round, message})
          log(`${prefix}: FAILED ${message}`)
        }
      }
    }
  } finally {
    await server.close()
    await slowServer?.close()
    await slowPagingServer?.close()
  }
  return result
}

/** The measurements of one gym size; each adds its samples to `result`. */
class SizeMeasurements {
  private readonly expected: Record<string, number>

  constructor(
    private readonly result: SizeResult,
    private readonly gym: GeneratedGym,
    private readonly server: StoktServer,
  ) {
    const {faces, holds, users, climbs} = result.rows
    this.expected = {faces, holds, users, climbs}
  }

  async fetchFloor(): Promise<string> {
    const floor = this.checkFetched(await measureFetchFloor(this.server.url, this.gym.gymId))
    this.result.fetchFloor.push(floor)
    return `${seconds(floor.totalMs)} (${floor.requests} requests)`
  }

  async httpFetchFloor(): Promise<string> {
    const floor = this.checkFetched(await measureHttpFetchFloor(this.server.url, this.gym.gymId))
    this.result.httpFetchFloor.push(floor)
    return `${seconds(floor.totalMs)} (${floor.requests} requests)`
  }

  async clientFetch(validate: boolean): Promise<string> {
    const fetched = this.checkRead(await measureClientFetch(this.server.url, this.gym.gymId, validate))
    ;(validate ? this.result.clientValidate : this.result.clientFetch).push(fetched)
    return `${seconds(fetched.totalMs)} (${fetched.requests} requests)`
  }

  async snapshotRead(snapshotDir: string, validate: boolean): Promise<string> {
    const read = this.checkRead(await measureSnapshotRead(snapshotDir, this.gym.gymId, validate))
    ;(validate ? this.result.snapshotValidate : this.result.snapshotRead).push(read)
    return seconds(read.totalMs)
  }

  async insertFloor(db: DatabaseKind, tables: Parameters<typeof measureInsertFloor>[1]): Promise<string> {
    const floor = await measureInsertFloor(db, tables)
    ;(this.result.insertFloor[db] ??= []).push(floor)
    return `${seconds(floor.totalMs)}; read back ${seconds(floor.readBackMs)}`
  }

  async sqliteCommitFloor(tables: Parameters<typeof measureSqliteCommitFloor>[0], rowsPerCommit: number): Promise<string> {
    const ms = await measureSqliteCommitFloor(tables, rowsPerCommit)
    ;(this.result.sqliteCommitFloor[rowsPerCommit] ??= []).push(ms)
    return seconds(ms)
  }

  async batchWrite(strategy: BatchWriteStrategy, tables: Parameters<typeof measureBatchWrite>[1]): Promise<string> {
    const write = await measureBatchWrite(strategy, tables, DEFAULT_BATCH_SIZE)
    ;(this.result.batchWrites[strategy] ??= []).push(write)
    const pass = ({totalMs, clientCpuMs}: BatchWritePass) => `${seconds(totalMs)} (client CPU ${seconds(clientCpuMs)})`
    return `empty tables ${pass(write.empty)}, existing rows ${pass(write.existing)}`
  }

  /** A first import of the gym; with `rerun`, then a second one of the unchanged gym. */
  live(db: DatabaseKind, batchSize: number, rerun: boolean, mode: 'live' | 'curve' = 'live'): Promise<string> {
    return withScratchDatabase(db, async (database) => {
      const importArgs = {database: database.url, gymId: this.gym.gymId, batchSize, batch: true, stoktUrl: this.server.url}
      const first = await this.counted(this.server, () => runImport(importArgs))
      this.checkFirstImport(first.run.summary)
      this.series(db, mode, batchSize).samples.push(sample(first.run, {requests: first.requests}))
      if (!rerun) return describe(first.run)

      const before = await tableFingerprint(database.knex())
      const second = await runImport(importArgs)
      const wroteNoRow = before === (await tableFingerprint(database.knex()))
      const allUnchanged = isAllUnchanged(second.summary)
      this.series(db, 'rerun', batchSize).samples.push(sample(second, {allUnchanged, wroteNoRow}))
      const verdict = allUnchanged && wroteNoRow ? 'nothing written' : 'WROTE ROWS'
      return `${describe(first.run)}; re-run ${describe(second)}, ${verdict}`
    })
  }

  /** A first import of the gym from a snapshot, then a second one of the same snapshot. */
  snapshot(db: DatabaseKind, snapshotDir: string): Promise<string> {
    return withScratchDatabase(db, async (database) => {
      const importArgs = {
        database: database.url,
        gymId: this.gym.gymId,
        batchSize: DEFAULT_BATCH_SIZE,
        batch: true,
        fromSnapshot: snapshotDir,
      }
      const run = await runImport(importArgs)
      this.checkFirstImport(run.summary)
      this.series(db, 'snapshot', DEFAULT_BATCH_SIZE).samples.push(sample(run))
      const before = await tableFingerprint(database.knex())
      const second = await runImport(importArgs)
      const wroteNoRow = before === (await tableFingerprint(database.knex()))
      const allUnchanged = isAllUnchanged(second.summary)
      this.series(db, 'snapshot-rerun', DEFAULT_BATCH_SIZE).samples.push(sample(second, {allUnchanged, wroteNoRow}))
      return `${describe(run)}; re-run ${describe(second)}, ${allUnchanged && wroteNoRow ? 'nothing written' : 'WROTE ROWS'}`
    })
  }

  rowByRow(db: DatabaseKind): Promise<string> {
    return withScratchDatabase(db, async (database) => {
      const importArgs = {
        database: database.url,
        gymId: this.gym.gymId,
        batchSize: DEFAULT_BATCH_SIZE,
        batch: false,
        stoktUrl: this.server.url,
      }
      const {run, requests} = await this.counted(this.server, () => runImport(importArgs))
      this.checkFirstImport(run.summary)
      this.series(db, 'row-by-row', null).samples.push(sample(run, {requests}))
      return describe(run)
    })
  }

  latency(db: DatabaseKind, slowServer: StoktServer): Promise<string> {
    return withScratchDatabase(db, async (database) => {
      const importArgs = {
        database: database.url,
        gymId: this.gym.gymId,
        batchSize: DEFAULT_BATCH_SIZE,
        batch: true,
        stoktUrl: slowServer.url,
        concurrency: CONCURRENCY,
      }
      const {run, requests} = await this.counted(slowServer, () => runImport(importArgs))
      this.checkFirstImport(run.summary)
      this.series(db, 'latency', DEFAULT_BATCH_SIZE, LATENCY_MS).samples.push(sample(run, {requests}))
      return `${describe(run)}, ${requests} requests`
    })
  }

  /** Against a Stokt that honours page_size: the CLI's default page size (null), or `pageSize`. */
  latencyPaged(db: DatabaseKind, slowServer: StoktServer, pageSize: number | null): Promise<string> {
    return withScratchDatabase(db, async (database) => {
      const importArgs = {
        database: database.url,
        gymId: this.gym.gymId,
        batchSize: DEFAULT_BATCH_SIZE,
        batch: true,
        stoktUrl: slowServer.url,
        concurrency: CONCURRENCY,
        ...(pageSize === null ? {} : {pageSize}),
      }
      const {run, requests} = await this.counted(slowServer, () => runImport(importArgs))
      this.checkFirstImport(run.summary)
      this.series(db, 'latency-paged', DEFAULT_BATCH_SIZE, LATENCY_MS, pageSize).samples.push(sample(run, {requests}))
      return `${describe(run)}, ${requests} requests`
    })
  }

  /** The run, and how many requests the server saw meanwhile. */
  private async counted(server: StoktServer, work: () => Promise<ImportRun>): Promise<{run: ImportRun; requests: number}> {
    const before = server.requests.length
    const run = await work()
    return {run, requests: server.requests.length - before}
  }

  /** The importer's source read everything, and its validation refused nothing. */
  private checkRead(read: SourceRead): SourceRead {
    if (read.rejected > 0) throw new Error(`the importer's schemas refused ${read.rejected} record(s) of the generated gym`)
    return this.checkFetched(read)
  }

  /** A fetch only counts if it read the whole gym. */
  private checkFetched<T extends FetchFloor>(fetched: T): T {
    if (fetched.climbs !== this.expected.climbs || fetched.holds !== this.expected.holds) {
      throw new Error(
        `fetched ${fetched.climbs} climbs and ${fetched.holds} holds, expected ${this.expected.climbs} and ${this.expected.holds}`,
      )
    }
    return fetched
  }

  /** A measurement only counts if the import did the whole job: every record created, none rejected. */
  private checkFirstImport(summary: ImportSummary): void {
    for (const entity of SUMMARY_ENTITIES) {
      const counts = summary[entity]
      if (counts?.created !== this.expected[entity] || counts.errors !== 0) {
        throw new Error(`${entity}: expected ${this.expected[entity]} created and no error, the summary says ${JSON.stringify(counts)}`)
      }
    }
  }

  private series(
    db: DatabaseKind,
    mode: ImportMode,
    batchSize: number | null,
    latencyMs = 0,
    pageSize: number | null = null,
  ): ImportSeries {
    let series = this.result.imports.find(
      (candidate) =>
        candidate.db === db &&
        candidate.mode === mode &&
        candidate.batchSize === batchSize &&
        candidate.latencyMs === latencyMs &&
        (candidate.pageSize ?? null) === pageSize,
    )
    if (!series) {
      series = {db, mode, batchSize, latencyMs, pageSize, samples: []}
      this.result.imports.push(series)
    }
    return series
  }
}

function sample(run: ImportRun, extra: Partial<ImportSample> = {}): ImportSample {
  return {wallMs: run.wallMs, cliMs: run.summary.durationMs, peakRssKb: run.peakRssKb, rows: summaryRows(run.summary), ...extra}
}

function isAllUnchanged(summary: ImportSummary): boolean {
  return (
    rowsRejected(summary) === 0 &&
    SUMMARY_ENTITIES.every((entity) => {
      const counts = summary[entity]
      return counts !== undefined && counts.created === 0 && counts.updated === 0 && counts.unchanged === counts.total
    })
  )
}

/**
 * A hash of every row of each table, in id order: any write that changes a row changes it. gyms and
 * holds have no stamp, so their contents are compared; faces, climbs and users carry the stamp an
 * update writes (synced_at, updated_at). On PostgreSQL each row's xmin is hashed too: a write that
 * left every value as it was still shows.
 */
async function tableFingerprint(knex: Knex): Promise<string> {
  const postgres = knex.client.config.client === 'pg'
  const parts: string[] = []
  for (const table of ['gyms', 'faces', 'holds', 'users', 'climbs']) {
    const rows = await knex(table)
      .select(postgres ? [`${table}.*`, knex.raw('xmin::text as row_version')] : ['*'])
      .orderBy('id')
    parts.push(`${table}:${rows.length}:${createHash('sha1').update(JSON.stringify(rows)).digest('hex')}`)
  }
  return parts.join(' ')
}

function describe(run: ImportRun): string {
  const rss = run.peakRssKb === undefined ? '? MiB' : `${Math.round(run.peakRssKb / 1024)} MiB`
  return `${seconds(run.wallMs)} (CLI ${seconds(run.summary.durationMs)}), ${rss}`
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`
}

await main()
