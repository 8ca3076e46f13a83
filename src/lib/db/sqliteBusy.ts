import {setTimeout as sleep} from 'node:timers/promises'

import type {Knex} from 'knex'

/**
 * Another process holding a SQLite file's write lock. better-sqlite3 is synchronous: SQLite's own
 * busy wait stops the whole process (the lock's heartbeat, Stokt's sockets), so it waits only a
 * moment each time, and the rest of the wait on a timer between attempts.
 */

/** How long a write waits for another process to give the file back (README: 5 s). */
export const SQLITE_BUSY_WAIT_MS = 5_000
/** SQLite's own wait, per attempt: the longest the process is ever held up by a busy file. */
export const SQLITE_BUSY_TIMEOUT_MS = 20

export class SqliteBusyError extends Error {
  readonly code = 'SQLITE_BUSY'

  constructor() {
    super(
      `another process has held its write lock for over ${SQLITE_BUSY_WAIT_MS / 1000} s (SQLITE_BUSY): run the import again once that process is done`,
    )
    this.name = 'SqliteBusyError'
  }
}

/** Statements outside a transaction are tried again while the file is busy; a transaction is, whole (whileWriteLockBusy). */
export function retryBusyStatements(db: Knex): void {
  const client = db.client as unknown as {_query(connection: {inTransaction: boolean}, query: unknown): Promise<unknown>}
  const query = client._query.bind(client)
  const clock = busyClockOf(db)
  client._query = (connection, statement) =>
    whileBusy(
      clock,
      () => query(connection, statement),
      (error) => isBusy(error) && !connection.inTransaction,
    )
}

/** Thrown by takeWriteLock: the transaction has done nothing yet, and is tried again. */
class WriteLockBusy extends Error {}

/** A transaction's first write, which takes the file's write lock: busy, the whole transaction waits its turn. */
export async function takeWriteLock(lock: () => Promise<void>): Promise<void> {
  try {
    await lock()
  } catch (error) {
    throw isBusy(error) ? new WriteLockBusy() : error
  }
}

/** `transaction` again while its takeWriteLock finds the file busy, for SQLITE_BUSY_WAIT_MS at most. */
export function whileWriteLockBusy<T>(db: Knex, transaction: () => Promise<T>): Promise<T> {
  return whileBusy(busyClockOf(db), transaction, (error) => error instanceof WriteLockBusy)
}

/** Since when the file has been busy, per database handle: once a batch has waited its 5 s, what follows waits no more. */
interface BusyClock {
  since?: number
}

const busyClocks = new WeakMap<object, BusyClock>()

/** What is written next waits its own 5 s: a run's record of how it ended, after a batch gave up waiting. */
export function restartBusyWait(db: Knex): void {
  busyClockOf(db).since = undefined
}

function busyClockOf(db: Knex): BusyClock {
  let clock = busyClocks.get(db.client)
  if (!clock) busyClocks.set(db.client, (clock = {}))
  return clock
}

async function whileBusy<T>(clock: BusyClock, attempt: () => Promise<T>, busy: (error: unknown) => boolean): Promise<T> {
  for (;;) {
    try {
      const result = await attempt()
      clock.since = undefined
      return result
    } catch (error) {
      if (!busy(error)) throw error
      clock.since ??= Date.now()
      if (Date.now() - clock.since >= SQLITE_BUSY_WAIT_MS) throw new SqliteBusyError()
      await sleep(10 + Math.random() * 30)
    }
  }
}

/** Busy, and worth another try (a transaction's stale snapshot, SQLITE_BUSY_SNAPSHOT, is not). */
function isBusy(error: unknown): boolean {
  const code = (error as {code?: unknown})?.code
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY') && code !== 'SQLITE_BUSY_SNAPSHOT'
}
