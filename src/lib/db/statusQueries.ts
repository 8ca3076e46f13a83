import type {Knex} from 'knex'

import type {Dialect} from './target.js'
import {toDatabaseValue} from './encodings.js'
import {runRowOf, type RunRow} from './runHistory.js'

export type TableCounts = Record<'gyms' | 'faces' | 'holds' | 'users' | 'climbs', number>

/**
 * What `mastoc status` reads: row counts and the run history. Reads only, and answers on a
 * database never imported into (tables not there yet count as empty, their runs as none).
 */
export class StatusQueries {
  constructor(
    private readonly db: Knex,
    private readonly dialect: Dialect,
  ) {}

  async counts(): Promise<TableCounts> {
    const tables = ['gyms', 'faces', 'holds', 'users', 'climbs'] as const
    const counts = {} as TableCounts
    for (const table of tables) {
      if (!(await this.db.schema.hasTable(table))) {
        counts[table] = 0
        continue
      }
      const [row] = await this.db(table).count({n: '*'})
      counts[table] = Number(row.n)
    }
    return counts
  }

  /** `gym`: only the runs of the gyms whose Stokt id starts with it. */
  async latestRuns(limit: number, gym?: string): Promise<RunRow[]> {
    if (!(await this.db.schema.hasTable('import_runs'))) return []
    const rows: Record<string, unknown>[] = await this.db('import_runs')
      .modify((query) => ofGym(query, gym))
      .orderBy('started_at', 'desc')
      .limit(limit)
    return rows.map(runRowOf)
  }

  /** Per gym, the latest run that completed and wrote (succeeded or partial, not a dry run). */
  async lastCompletedRuns(gym?: string): Promise<RunRow[]> {
    if (!(await this.db.schema.hasTable('import_runs'))) return []
    const completed = () =>
      this.db('import_runs')
        .whereIn('status', ['succeeded', 'partial'])
        .andWhere('dry_run', toDatabaseValue(this.dialect, 'boolean', false) as number | boolean)
        .modify((query) => ofGym(query, gym))
    const rows: Record<string, unknown>[] = await completed()
      .select('import_runs.*')
      .whereIn(['gym_stokt_id', 'started_at'], completed().select('gym_stokt_id').max('started_at').groupBy('gym_stokt_id'))
      .orderBy('gym_stokt_id')
    return rows.map(runRowOf)
  }
}

/** The runs of the gyms whose id starts with `gym` (a whole id, or its first characters as status shows them). */
function ofGym(query: Knex.QueryBuilder, gym: string | undefined): void {
  // Hex digits and dashes only (status checks): nothing in it that LIKE would read as a pattern.
  if (gym !== undefined) query.where('gym_stokt_id', 'like', `${gym.toLowerCase()}%`)
}
