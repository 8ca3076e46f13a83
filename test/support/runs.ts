import type {Knex} from 'knex'

/** The most recent row of the run history (import_runs): how that run ended. */
export async function latestRun(db: Knex): Promise<{status: string; error: string | null}> {
  return db('import_runs').orderBy('started_at', 'desc').first('status', 'error')
}
