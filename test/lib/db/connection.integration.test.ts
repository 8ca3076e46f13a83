import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, describe, expect, it} from 'vitest'

import {openDatabase, sessionEndedBy} from '../../../src/lib/db/connection.js'
import {parseDatabaseTarget} from '../../../src/lib/db/target.js'
import {describeDatabaseError} from '../../../src/lib/db/errors.js'
import {testDatabases, unavailable} from '../../support/databases.js'

/**
 * A PostgreSQL session ended by the server between two statements of a transaction (an
 * administrator's pg_terminate_backend, idle_in_transaction_session_timeout, a restart): the next
 * statement fails with pg's own words, which do not say why; the run's error says the server's.
 */
describe.skipIf(unavailable('postgres'))('on postgres, a session the server ends between two statements', () => {
  const databases = testDatabases('postgres')
  afterAll(() => databases.dropAll())

  it.each([
    ['pg_terminate_backend', 'terminating connection due to administrator command (57P01)'],
    ['idle_in_transaction_session_timeout', 'terminating connection due to idle-in-transaction timeout (25P03)'],
  ])('%s: the error names the server’s reason', async (how, reason) => {
    const database = await databases.fresh()
    const admin = database.knex()
    const db = openDatabase(parseDatabaseTarget(database.url))
    try {
      const error = await db
        .transaction(async (trx) => {
          if (how === 'idle_in_transaction_session_timeout') await trx.raw(`set local idle_in_transaction_session_timeout = '50ms'`)
          const {rows} = await trx.raw('select pg_backend_pid() as pid')
          if (how === 'pg_terminate_backend') await admin.raw('select pg_terminate_backend(?)', [rows[0].pid])
          await sleep(300)
          await trx.raw('select 1')
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        )

      expect(error).toBeInstanceOf(Error)
      expect(describeDatabaseError(error, sessionEndedBy(db))).toBe(`the connection to the database was lost: ${reason}`)
    } finally {
      await db.destroy()
    }
  })
})
