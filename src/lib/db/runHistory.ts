import type {Knex} from 'knex'

import type {Dialect} from './target.js'
import {fromDatabaseValue, toDatabaseValue} from './encodings.js'
import {restartBusyWait} from './sqliteBusy.js'

/** The run history, `import_runs`: each run as it starts, waits, runs and ends. */

export interface RunRecord {
  id: string
  command: string
  strategy: string
  gymStoktId: string
  dryRun: boolean
  options: Record<string, unknown>
  startedAt: string
}

export interface RunRow extends RunRecord {
  finishedAt: string | null
  status: string
  summary: unknown
  error: string | null
}

export interface RunOutcome {
  status: string
  finishedAt: string
  summary: unknown
  error: string | null
  /** The options as they ended up (`--incremental` resolves its max age under the lock). */
  options?: Record<string, unknown>
}

export class KnexRunHistory {
  constructor(
    private readonly db: Knex,
    private readonly dialect: Dialect,
  ) {}

  async startRun(run: RunRecord, status: 'running' | 'waiting'): Promise<void> {
    await this.db('import_runs').insert({
      id: run.id,
      command: run.command,
      strategy: run.strategy,
      gym_stokt_id: run.gymStoktId,
      dry_run: toDatabaseValue(this.dialect, 'boolean', run.dryRun),
      options: JSON.stringify(run.options),
      started_at: run.startedAt,
      status,
    })
  }

  async finishRun(id: string, outcome: RunOutcome): Promise<void> {
    // A run that failed waiting for a busy SQLite file still waits its turn to say so, not "running" for ever.
    restartBusyWait(this.db)
    await this.db('import_runs')
      .where('id', id)
      .update({
        status: outcome.status,
        finished_at: outcome.finishedAt,
        summary: outcome.summary === undefined ? null : JSON.stringify(outcome.summary),
        error: outcome.error,
        ...(outcome.options ? {options: JSON.stringify(outcome.options)} : {}),
      })
  }

  async markRunning(runId: string): Promise<void> {
    await this.db('import_runs').where({id: runId, status: 'waiting'}).update({status: 'running'})
  }

  async abandonDeadRuns(gymStoktId: string, runId: string, now: string): Promise<number> {
    const waiting: {id: string; started_at: unknown; options: unknown}[] = await this.db('import_runs')
      .where({gym_stokt_id: gymStoktId, status: 'waiting'})
      .whereNot('id', runId)
      .select('id', 'started_at', 'options')
    const nowMs = Date.parse(now)
    const waitedOut = waiting
      .filter((row) => {
        const waitLock = Number((parseJson(row.options) as {waitLock?: unknown} | null)?.waitLock ?? 0)
        const startedMs = Date.parse(fromDatabaseValue('instant', row.started_at) as string)
        return startedMs + (waitLock + WAITING_GRACE_SECONDS) * 1000 < nowMs
      })
      .map((row) => row.id)
    return this.db('import_runs')
      .where({gym_stokt_id: gymStoktId})
      .where((query) => query.where('status', 'running').orWhereIn('id', waitedOut))
      .whereNot('id', runId)
      .update({
        status: 'abandoned',
        error: `the run ended without recording how (its process was killed or lost, or the database was out of reach as it ended); found at ${now} by run ${runId}`,
      })
  }
}

/** A row of `import_runs` as the database returns it, as a run. */
export function runRowOf(row: Record<string, unknown>): RunRow {
  return {
    id: String(row.id),
    command: String(row.command),
    strategy: String(row.strategy),
    gymStoktId: String(row.gym_stokt_id),
    dryRun: Boolean(row.dry_run),
    options: parseJson(row.options) as Record<string, unknown>,
    startedAt: fromDatabaseValue('instant', row.started_at) as string,
    finishedAt: fromDatabaseValue('instant', row.finished_at) as string | null,
    status: String(row.status),
    summary: parseJson(row.summary),
    error: (row.error as string | null) ?? null,
  }
}

/** A JSON column: text on SQLite, already parsed by pg on PostgreSQL. */
function parseJson(value: unknown): unknown {
  if (value === null || value === undefined) return null
  return typeof value === 'string' ? JSON.parse(value) : value
}

/** Past the end of its wait, a run still marked waiting is dead; the margin covers clocks that differ between hosts. */
const WAITING_GRACE_SECONDS = 60
