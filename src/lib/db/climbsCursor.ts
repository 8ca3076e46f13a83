import type {Knex} from 'knex'

import type {Dialect} from './target.js'
import {fromDatabaseValue} from './encodings.js'
import {connectionOf, type StoreTransaction} from './rowStore.js'
import {rowWriterFor, type RowWriter} from './rowWriters.js'

/** `import_cursors`: per gym, when its last completed climbs import started (`--incremental`). */
export class KnexClimbsCursor {
  /** Runs the cursor's write on the batch's own connection, in its transaction. */
  private readonly statements: RowWriter

  constructor(
    private readonly db: Knex,
    dialect: Dialect,
  ) {
    this.statements = rowWriterFor(dialect)
  }

  async readClimbsCursor(gymStoktId: string): Promise<string | undefined> {
    const row = await this.db('import_cursors').where('gym_stokt_id', gymStoktId).first('climbs_started_at')
    return row ? (fromDatabaseValue('instant', row.climbs_started_at) as string) : undefined
  }

  async writeClimbsCursor(
    tx: StoreTransaction,
    cursor: {gymStoktId: string; climbsStartedAt: string; runId: string; now: string},
  ): Promise<void> {
    // Built by knex, run on the transaction's own connection.
    const {sql, bindings} = this.db('import_cursors')
      .insert({gym_stokt_id: cursor.gymStoktId, climbs_started_at: cursor.climbsStartedAt, run_id: cursor.runId, updated_at: cursor.now})
      .onConflict('gym_stokt_id')
      .merge(['climbs_started_at', 'run_id', 'updated_at'])
      .toSQL()
      .toNative()
    await this.statements.run(connectionOf(tx), sql, bindings)
  }
}
