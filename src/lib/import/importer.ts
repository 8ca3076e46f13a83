import {randomUUID} from 'node:crypto'
import {statSync} from 'node:fs'
import {hostname} from 'node:os'

import type {Knex} from 'knex'

import {migrateToLatest} from '../db/migrate.js'
import {openDatabase, sessionEndedBy} from '../db/connection.js'
import {sqliteFilePath, type DatabaseTarget} from '../db/target.js'
import {describeDatabaseError} from '../db/errors.js'
import {acquireImportLock, LockBusyError, type ImportLock} from '../db/importLock.js'
import {watchLockWaits, type LockWaitWatch} from '../db/lockWaits.js'
import {KnexClimbsCursor} from '../db/climbsCursor.js'
import {KnexRowStore} from '../db/rowStore.js'
import {KnexRunHistory} from '../db/runHistory.js'
import {KnexStoredClimbs} from '../db/storedClimbs.js'
import {SchemaMismatch} from '../db/liveSchema.js'
import {nowInstant} from '../common/instant.js'
import {secrets} from '../common/secrets.js'
import {asImportFailure, ImportFailure, ImportInterrupted, lockTimedOut, stoppedWaiting, withSummary} from './failures.js'
import {GymImporter} from './gymImporter.js'
import {cursorInFuture, incrementalMaxAge} from './incremental.js'
import {silentReporter, type ImportOptions, type ImportReporter, type ImportResult, type RunContext} from './ports.js'
import {RejectsFile} from './rejectsFile.js'
import type {ClimbsCursor, RowStore, RunHistory, StoredClimbs} from './stores.js'

/** A run from start to end: the database checked, the run recorded, the lock taken, the phases run, the end recorded. */

/** Opens the database, migrates it, runs the import and records the run. */
export async function runImport(options: ImportOptions, reporter: ImportReporter = silentReporter): Promise<ImportResult> {
  let sourceClosed: Promise<void> | undefined
  const closeSource = (runSucceeded = false) => (sourceClosed ??= options.source.close({runSucceeded}))
  const db = openDatabase(options.database)
  try {
    // The composition root: the database's stores, each checked here against the interface the import asks for.
    const {dialect} = options.database
    const rows: RowStore = new KnexRowStore(db, dialect)
    const history: RunHistory = new KnexRunHistory(db, dialect)
    const climbsCursor: ClimbsCursor = new KnexClimbsCursor(db, dialect)
    const climbs: StoredClimbs = new KnexStoredClimbs(db, dialect)
    await prepareDatabase(db, options.database, rows)
    const databaseFile = sqliteFileIdentity(options.database)
    const run: RunContext = {id: randomUUID(), startedAt: nowInstant(), maxAge: options.maxAge}
    // The run history is read by people too (mastoc status): it goes out masked.
    const recordedOptions = () =>
      secrets.maskStrings({...options.recordedOptions, maxAge: run.maxAge, ...(options.incremental ? {incremental: true} : {})})
    try {
      await history.startRun(
        {
          id: run.id,
          command: `import ${options.command}`,
          strategy: options.strategy,
          gymStoktId: options.gymId,
          dryRun: options.dryRun,
          options: recordedOptions(),
          startedAt: run.startedAt,
        },
        (options.waitLockSeconds ?? 0) > 0 ? 'waiting' : 'running',
      )
    } catch (error) {
      // Else knex's message: the whole insert, every value inlined.
      throw new ImportFailure(
        `cannot record the run in the database ${options.database.display}: ${describeDatabaseError(error, sessionEndedBy(db))}`,
      )
    }
    const importer = new GymImporter(options, run, {rows, cursor: climbsCursor, climbs}, reporter)
    let lock: ImportLock | undefined
    let rejects: RejectsFile | undefined
    let lockWaits: LockWaitWatch | undefined
    try {
      lockWaits = await watchDatabaseLocks(db, options, reporter)
      lock = await lockGym(db, options, run, reporter)
      await history.markRunning(run.id)
      await history.abandonDeadRuns(options.gymId, run.id, nowInstant())
      // Read under the lock: a run finishing meanwhile may have moved the cursor.
      if (options.incremental) {
        const cursor = await climbsCursor.readClimbsCursor(options.gymId)
        if (cursor !== undefined && cursorInFuture(cursor, run.startedAt)) {
          reporter.warn(
            `the last climbs import of gym ${options.gymId} started at ${cursor}, after now (${run.startedAt}): a clock is wrong; reading every climb`,
          )
        }
        run.maxAge = incrementalMaxAge(cursor, run.startedAt)
      }
      rejects = options.rejectsPath ? openRejectsFile(options.rejectsPath) : undefined
      const rejectsFile = rejects
      const result = await importer.importAll({
        lock,
        onRejected: rejectsFile && ((rejected, record) => rejectsFile.append(rejected, record)),
      })
      // Every write went to a file no longer at its path: nothing of this run is where users look.
      if (databaseFile && !databaseFile.stillThere()) {
        throw new ImportFailure(
          `the database file ${options.database.display} was removed or replaced during the run: what it wrote is not in it; run the import again`,
        )
      }
      // The snapshot saved (--save-snapshot) is part of a run's success: one that cannot be finished fails it.
      await closeSource(true)
      rejects?.complete()
      await history.finishRun(run.id, {
        status: options.dryRun ? 'dry-run' : result.summary.rejected.length === 0 ? 'succeeded' : 'partial',
        finishedAt: nowInstant(),
        summary: secrets.maskStrings(result.summary),
        error: null,
        options: recordedOptions(),
      })
      return result
    } catch (error) {
      const summary = importer.partialSummary()
      const failure = withSummary(
        stoppedWaiting(error, options.signal) ??
          lockTimedOut(error, options.database, lockWaits) ??
          asImportFailure(error, options.database, sessionEndedBy(db)),
        summary,
      )
      const status = failure instanceof ImportInterrupted ? 'interrupted' : 'failed'
      await history
        .finishRun(run.id, {
          status,
          finishedAt: nowInstant(),
          summary: secrets.maskStrings(summary),
          error: secrets.mask(failure.message),
          options: recordedOptions(),
        })
        .catch(() => {})
      throw failure
    } finally {
      rejects?.close()
      await lock?.release()
      await lockWaits?.close()
    }
  } finally {
    await closeSource().catch(() => {})
    await db.destroy()
  }
}

/** A SQLite file as opened (device and inode), to tell at the end that it is still the one at its path. */
function sqliteFileIdentity(target: DatabaseTarget): {stillThere(): boolean} | undefined {
  const file = sqliteFilePath(target)
  if (file === undefined) return undefined
  const identity = () => {
    const stat = statSync(file, {throwIfNoEntry: false})
    return stat ? `${stat.dev}:${stat.ino}` : undefined
  }
  const opened = identity()
  return {stillThere: () => opened === undefined || identity() === opened}
}

/** PostgreSQL: a lock wait is said, and cancelled by a stop. Without the watch the run goes on: lock_timeout still ends a wait. */
async function watchDatabaseLocks(db: Knex, options: ImportOptions, reporter: ImportReporter): Promise<LockWaitWatch | undefined> {
  if (options.database.dialect !== 'postgres') return undefined
  return watchLockWaits(db, {
    signal: options.signal,
    onWait: (wait, timeoutSeconds) =>
      reporter.notice(
        `waiting for a lock on ${wait.what} in the database ${options.database.display}, held by ${wait.holder}; giving up after ${timeoutSeconds} s`,
      ),
  }).catch(() => undefined)
}

/** One import of a gym at a time, whoever runs it; the lock lives in the target database. */
async function lockGym(db: Knex, options: ImportOptions, run: RunContext, reporter: ImportReporter): Promise<ImportLock> {
  const waitSeconds = options.waitLockSeconds ?? 0
  try {
    return await acquireImportLock(db, options.database.dialect, {
      gymStoktId: options.gymId,
      runId: run.id,
      holder: `pid ${process.pid} on ${hostname()}, import ${options.command}`,
      waitSeconds,
      heartbeatMs: options.lockHeartbeatMs,
      signal: options.signal,
      // Else a run waiting for minutes looks hung.
      onWait: (holder) =>
        reporter.notice(
          `waiting up to ${waitSeconds} s for the lock on gym ${options.gymId}, held by ${holder.holder}, since ${holder.acquiredAt}`,
        ),
    })
  } catch (error) {
    // A signal ends the wait for the lock: the run stops there, as it would between batches.
    if (error instanceof LockBusyError && options.signal?.aborted) throw new ImportInterrupted(String(options.signal.reason ?? 'a signal'))
    if (error instanceof LockBusyError) {
      const wait = waitSeconds > 0 ? 'a longer --wait-lock SECONDS' : '--wait-lock SECONDS to wait for it'
      throw new ImportFailure(`${error.message}; run again once it has finished, or give ${wait}`)
    }
    throw error
  }
}

/** Reachable and writable before anything is fetched; then the schema brought up to date, and read. */
async function prepareDatabase(db: ReturnType<typeof openDatabase>, target: DatabaseTarget, rows: RowStore): Promise<void> {
  try {
    await db.raw('select 1')
    await migrateToLatest(db)
    await rows.inspectSchema()
  } catch (error) {
    if (error instanceof SchemaMismatch)
      throw new ImportFailure(`cannot write into the database ${target.display}, nothing was written: ${error.message}`)
    throw new ImportFailure(`cannot use the database ${target.display}: ${describeDatabaseError(error, sessionEndedBy(db), target)}`)
  }
}

function openRejectsFile(path: string): RejectsFile {
  try {
    return new RejectsFile(path)
  } catch (error) {
    throw new ImportFailure(`cannot write the rejects file ${path}: ${(error as Error).message}`)
  }
}
