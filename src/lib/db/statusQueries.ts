import {toDatabaseValue} from './encodings.js'
import {runRowOf, type RunRow} from './runHistory.js'
import type {SqlReader} from './sqlReader.js'

export type TableCounts = Record<'gyms' | 'faces' | 'holds' | 'users' | 'climbs', number>

/** What `mastoc status` reads: row counts and the run history; a database never imported into answers too, as empty. */
export class StatusQueries {
  constructor(private readonly db: SqlReader) {}

  async counts(): Promise<TableCounts> {
    const tables = ['gyms', 'faces', 'holds', 'users', 'climbs'] as const
    const counts = {} as TableCounts
    for (const table of tables) {
      if (!(await this.db.hasTable(table))) {
        counts[table] = 0
        continue
      }
      const [row] = await this.db.rows(`select count(*) as n from "${table}"`)
      counts[table] = Number(row.n)
    }
    return counts
  }

  /** `gym`: only the runs of the gyms whose Stokt id starts with it. */
  async latestRuns(limit: number, gym?: string): Promise<RunRow[]> {
    if (!(await this.db.hasTable('import_runs'))) return []
    const of = ofGym(gym)
    const rows = await this.db.rows(`select * from import_runs where ${of.sql} order by started_at desc limit ?`, [...of.bindings, limit])
    return rows.map(runRowOf)
  }

  /** Per gym, the latest run that completed and wrote (succeeded or partial, not a dry run). */
  async lastCompletedRuns(gym?: string): Promise<RunRow[]> {
    if (!(await this.db.hasTable('import_runs'))) return []
    const of = ofGym(gym)
    const completed = `status in ('succeeded', 'partial') and dry_run = ? and ${of.sql}`
    const bindings = [toDatabaseValue(this.db.dialect, 'boolean', false), ...of.bindings]
    const rows = await this.db.rows(
      `select * from import_runs where ${completed}
         and (gym_stokt_id, started_at) in (select gym_stokt_id, max(started_at) from import_runs where ${completed} group by gym_stokt_id)
       order by gym_stokt_id`,
      [...bindings, ...bindings],
    )
    return rows.map(runRowOf)
  }
}

/** The runs of the gyms whose id starts with `gym` (a whole id, or its first characters as status shows them). */
function ofGym(gym: string | undefined): {sql: string; bindings: unknown[]} {
  // Hex digits and dashes only (status checks): nothing in it that LIKE would read as a pattern.
  return gym === undefined ? {sql: '1 = 1', bindings: []} : {sql: 'gym_stokt_id like ?', bindings: [`${gym.toLowerCase()}%`]}
}
