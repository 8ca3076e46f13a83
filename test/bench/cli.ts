import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import {DEFAULT_TOKEN} from '../support/stoktServer.js'
import type {ImportSummary} from '../../src/lib/import/summary.js'

/** The built CLI (dist/), as users run it. */
export const CLI_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))
const TIME = '/usr/bin/time'

export interface ChildRun {
  /** Spawn to exit, by the bench's clock. */
  wallMs: number
  /** Max resident set of the child, from `/usr/bin/time -f %M` (KiB). */
  peakRssKb: number | undefined
  exitCode: number | null
  stdout: string
  /** The child's own stderr, without time's line. */
  stderr: string
}

/**
 * Runs `node <args>` under `/usr/bin/time -f %M`, so that the peak RSS is the child's alone (the
 * Stokt test server lives in the bench process and is not counted). time writes its line last on
 * stderr, after anything the child wrote there.
 */
export function runNode(args: string[], env: NodeJS.ProcessEnv): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(TIME, ['-f', '%M', process.execPath, ...args], {env, stdio: ['ignore', 'pipe', 'pipe']})
    const stdout: Buffer[] = []
    const stderr: Buffer[] = []
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk))
    child.on('error', reject)
    child.on('close', (code) => {
      const wallMs = performance.now() - started
      const lines = Buffer.concat(stderr).toString('utf8').trimEnd().split('\n')
      const last = lines.at(-1) ?? ''
      const peakRssKb = /^\d+$/.test(last) ? Number(last) : undefined
      if (peakRssKb !== undefined) lines.pop()
      // "Command exited with non-zero status N" is time's too.
      if (/^Command (exited with non-zero status|terminated by signal)/.test(lines.at(-1) ?? '')) lines.pop()
      resolve({wallMs, peakRssKb, exitCode: code, stdout: Buffer.concat(stdout).toString('utf8'), stderr: lines.join('\n')})
    })
  })
}

/** Only what the CLI needs: no DATABASE_URL, STOKT_* or MASTOC_* from the caller's shell. */
export function cliEnv(withToken: boolean): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(DATABASE_URL|STOKT_|MASTOC_)/.test(key)) env[key] = value
  }
  if (withToken) env.STOKT_TOKEN = DEFAULT_TOKEN
  return env
}

/** The CLI's --json summary, as the importer itself types it. */
export type {ImportSummary}

export const SUMMARY_ENTITIES = ['faces', 'holds', 'users', 'climbs'] as const

export interface ImportRun {
  wallMs: number
  peakRssKb: number | undefined
  summary: ImportSummary
}

export interface ImportArgs {
  database: string
  gymId: string
  batchSize: number
  batch: boolean
  /** The Stokt server to read, or… */
  stoktUrl?: string
  /** …a snapshot directory. */
  fromSnapshot?: string
  concurrency?: number
  /** `--page-size`; the CLI's default when absent. */
  pageSize?: number
}

/** One `mastoc import all --json`; throws with the CLI's message unless it exits 0. */
export async function runImport(args: ImportArgs): Promise<ImportRun> {
  const argv = [
    CLI_BIN,
    'import',
    'all',
    '--json',
    '--database',
    args.database,
    '--gym',
    args.gymId,
    '--batch-size',
    String(args.batchSize),
  ]
  if (!args.batch) argv.push('--no-batch')
  if (args.stoktUrl !== undefined) argv.push('--stokt-url', args.stoktUrl)
  if (args.fromSnapshot !== undefined) argv.push('--from-snapshot', args.fromSnapshot)
  if (args.concurrency !== undefined) argv.push('--concurrency', String(args.concurrency))
  if (args.pageSize !== undefined) argv.push('--page-size', String(args.pageSize))
  const run = await runNode(argv, cliEnv(args.stoktUrl !== undefined))
  if (run.exitCode !== 0) {
    throw new Error(`mastoc import exited ${run.exitCode}: ${lastLines(run.stderr) || lastLines(run.stdout)}`)
  }
  let summary: ImportSummary
  try {
    summary = JSON.parse(run.stdout) as ImportSummary
  } catch {
    throw new Error(`mastoc import printed no JSON summary: ${lastLines(run.stdout)}`)
  }
  return {wallMs: run.wallMs, peakRssKb: run.peakRssKb, summary}
}

/** Rows the summary counts, all entities. */
export function summaryRows(summary: ImportSummary): number {
  return SUMMARY_ENTITIES.reduce((sum, entity) => sum + (summary[entity]?.total ?? 0), 0)
}

/** Rows the summary says were written (created or updated). */
export function rowsWritten(summary: ImportSummary): number {
  return SUMMARY_ENTITIES.reduce((sum, entity) => sum + (summary[entity]?.created ?? 0) + (summary[entity]?.updated ?? 0), 0)
}

export function rowsRejected(summary: ImportSummary): number {
  return SUMMARY_ENTITIES.reduce((sum, entity) => sum + (summary[entity]?.errors ?? 0), 0)
}

function lastLines(text: string, count = 3): string {
  return text.trim().split('\n').slice(-count).join(' | ').slice(0, 600)
}
