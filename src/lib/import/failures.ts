import {describeDatabaseError} from '../db/errors.js'
import {describeLockTimeout, type LockWaitWatch} from '../db/lockWaits.js'
import type {DatabaseTarget} from '../db/target.js'
import {FileWriteError} from '../common/fileWriteError.js'
import {StoktError} from '../stokt/source.js'
import type {ImportSummary} from './summary.js'

export interface ImportFailureOptions extends ErrorOptions {
  /** What the run had done when it failed: the records it had rejected are listed. */
  summary?: ImportSummary
}

/** The run failed: exit 1, with a message a person can act on and no stack trace. */
export class ImportFailure extends Error {
  /** What the run had done when it failed, on the failure runImport throws (withSummary). */
  readonly summary?: ImportSummary

  constructor(message: string, options?: ImportFailureOptions) {
    super(message, options)
    this.name = 'ImportFailure'
    this.summary = options?.summary
  }
}

/** The run was stopped by a signal, between batches. */
export class ImportInterrupted extends ImportFailure {
  constructor(
    readonly signal: string,
    options?: ImportFailureOptions,
  ) {
    super(`interrupted by ${signal}: whole batches already written are kept; run the import again to finish`, options)
    this.name = 'ImportInterrupted'
  }
}

/** The failure as runImport throws it, once the run has ended: the same kind, message and cause, with what the run had done. */
export function withSummary(failure: ImportFailure, summary: ImportSummary): ImportFailure {
  const options: ImportFailureOptions = {summary, ...('cause' in failure ? {cause: failure.cause} : {})}
  return failure instanceof ImportInterrupted ? new ImportInterrupted(failure.signal, options) : new ImportFailure(failure.message, options)
}

/** A statement the stop cancelled (57014) while it waited on the database: the run was interrupted. */
export function stoppedWaiting(error: unknown, signal: AbortSignal | undefined): ImportInterrupted | undefined {
  if (!signal?.aborted || (error as {code?: unknown})?.code !== '57014') return undefined
  return new ImportInterrupted(String(signal.reason ?? 'a signal'))
}

export function lockTimedOut(error: unknown, target: DatabaseTarget, lockWaits: LockWaitWatch | undefined): ImportFailure | undefined {
  const description = describeLockTimeout(error, lockWaits?.lastWait())
  return description === undefined ? undefined : new ImportFailure(`the database ${target.display} failed: ${description}`)
}

export function asImportFailure(error: unknown, target: DatabaseTarget, sessionEnded: Error | undefined): ImportFailure {
  if (error instanceof ImportFailure) return error
  if (error instanceof StoktError || error instanceof FileWriteError) return new ImportFailure(error.message, {cause: error})
  return new ImportFailure(`the database ${target.display} failed: ${describeDatabaseError(error, sessionEnded)}`)
}
