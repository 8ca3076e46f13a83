/**
 * Start-up: how long `mastoc --version`, `--help`, `import all --help` and `status` on a small
 * SQLite file take as whole processes, beside a bare `node -e 0` and a node that only loads
 * @oclif/core. Runs are interleaved (round 1 of every case, then round 2…), medians reported.
 *
 * Also a command of its own, to compare builds side by side (each CLI gets its own cases):
 *   node --import tsx test/bench/startup.ts [--runs N] [CLI_BIN…]   (default: this tree's bin/run.js)
 */
import {spawn} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {CLI_BIN} from './cli.js'
import {median} from './results.js'

export interface StartupCase {
  label: string
  /** Arguments to node. */
  args: string[]
}

export interface StartupResult {
  label: string
  samplesMs: number[]
}

const SAMPLE_GYM = fileURLToPath(new URL('../fixtures/sample-gym', import.meta.url))
const OCLIF_CORE = fileURLToPath(import.meta.resolve('@oclif/core'))

/** The bare process, and node loading only @oclif/core: what any oclif CLI pays. */
export const BASELINE_CASES: StartupCase[] = [
  {label: 'node -e 0', args: ['-e', '0']},
  {label: 'node, require(@oclif/core) only', args: ['-e', `require(${JSON.stringify(OCLIF_CORE)})`]},
]

export function cliCases(bin: string, statusDatabase: string, prefix = ''): StartupCase[] {
  return [
    {label: `${prefix}mastoc --version`, args: [bin, '--version']},
    {label: `${prefix}mastoc --help`, args: [bin, '--help']},
    {label: `${prefix}mastoc import all --help`, args: [bin, 'import', 'all', '--help']},
    {label: `${prefix}mastoc status (small SQLite file)`, args: [bin, 'status', '--database', statusDatabase]},
  ]
}

/**
 * A SQLite file holding the sample gym, for `status` to read: made by the CLI itself (import from
 * the sample snapshot); removed by the returned cleanup.
 */
export async function smallSqliteFile(bin = CLI_BIN): Promise<{path: string; cleanup(): Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), 'mastoc-startup-'))
  const path = join(dir, 'small.db')
  const code = await spawnTimed([bin, 'import', 'all', '--quiet', '--from-snapshot', SAMPLE_GYM, '--database', path]).then(
    (run) => run.code,
  )
  if (code !== 0) throw new Error(`importing the sample gym into ${path} exited ${code}`)
  return {path, cleanup: () => rm(dir, {recursive: true, force: true})}
}

export async function measureStartup(cases: StartupCase[], runs: number, onRound?: (round: number) => void): Promise<StartupResult[]> {
  const results = cases.map((startupCase) => ({label: startupCase.label, samplesMs: [] as number[]}))
  // One unmeasured round: the first run of each reads its files from disk.
  for (const startupCase of cases) await spawnTimed(startupCase.args)
  for (let round = 1; round <= runs; round++) {
    for (const [index, startupCase] of cases.entries()) {
      const run = await spawnTimed(startupCase.args)
      if (run.code !== 0) throw new Error(`${startupCase.label} exited ${run.code}`)
      results[index].samplesMs.push(run.wallMs)
    }
    onRound?.(round)
  }
  return results
}

function spawnTimed(args: string[]): Promise<{wallMs: number; code: number | null}> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    // No DATABASE_URL or STOKT_* from the caller's shell.
    const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(DATABASE_URL|STOKT_|MASTOC_)/.test(key)))
    const child = spawn(process.execPath, args, {env, stdio: 'ignore'})
    child.on('error', reject)
    child.on('close', (code) => resolve({wallMs: performance.now() - started, code}))
  })
}

export function medianMs(result: StartupResult): number {
  return median(result.samplesMs)!
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2)
  const runsAt = argv.indexOf('--runs')
  const runs = runsAt >= 0 ? Number(argv.splice(runsAt, 2)[1]) : 15
  const bins = argv.length > 0 ? argv : [CLI_BIN]
  const database = await smallSqliteFile(bins[0])
  try {
    const cases = [
      ...BASELINE_CASES,
      ...bins.flatMap((bin, index) => cliCases(bin, database.path, bins.length > 1 ? `[${index + 1}] ` : '')),
    ]
    const results = await measureStartup(cases, runs)
    const bare = medianMs(results[0])
    for (const result of results) {
      const sorted = [...result.samplesMs].sort((a, b) => a - b)
      console.log(
        `${result.label.padEnd(52)} median ${medianMs(result).toFixed(0).padStart(4)} ms  ${(medianMs(result) / bare).toFixed(2)}× bare node  ` +
          `(${sorted[0].toFixed(0)}–${sorted.at(-1)!.toFixed(0)} ms)`,
      )
    }
    if (bins.length > 1) bins.forEach((bin, index) => console.log(`[${index + 1}] ${bin}`))
  } finally {
    await database.cleanup()
  }
}
