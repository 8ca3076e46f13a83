import {Command} from '@oclif/core'

import {DEFAULT_DATABASE, MONTOBOARD_GYM_ID, importFlags} from '../../flags.js'
import type {ImportCommand} from '../import/importer.js'
import {StoktError} from '../stokt/source.js'
import {createReporter, reporterMode} from '../output/progress.js'
import {maskWrites} from '../output/secrets.js'
import {formatRejected, formatSummary} from '../output/summaryText.js'

/**
 * The four `import` commands differ only in what they import: each translates its flags into one
 * `runImport` call, prints the summary, and sets the exit code of design.md.
 */
export abstract class ImportBaseCommand extends Command {
  static override flags = importFlags

  protected abstract readonly what: ImportCommand

  async run(): Promise<void> {
    // Whatever writes to them (oclif, the reporter, a library): the one way out to a person.
    maskWrites(process.stdout)
    maskWrites(process.stderr)
    const {flags} = await this.parse(this.constructor as typeof ImportBaseCommand)
    // The importer and its libraries (zod, knex) load once a run starts, never for --help.
    const [{buildImportOptions, UsageError}, {ImportFailure, ImportInterrupted, runImport}] = await Promise.all([
      import('../import/importConfig.js'),
      import('../import/importer.js'),
    ])
    const reporter = createReporter(reporterMode(flags))
    const stop = stopOnSignals((signal) => reporter.warn(`${signal}: stopping once the current batch is written or rolled back (again to quit now)`))
    ignoreClosedOutput()
    try {
      const options = await buildImportOptions(this.what, flags, {database: DEFAULT_DATABASE, gym: MONTOBOARD_GYM_ID}, (retry) =>
        reporter.warn(`${retry.call}: ${retry.reason}; retrying in ${(retry.delayMs / 1000).toFixed(1)} s`),
      )
      const result = await runImport({...options, signal: stop.signal}, reporter)
      reporter.stop()
      if (flags.json) this.log(JSON.stringify(result.summary, null, 2))
      else if (!flags.quiet) this.log(formatSummary(result.summary))
      else if (result.summary.rejected.length > 0) this.logToStderr(formatRejected(result.summary))
      // Partial failure: the summary is printed, and the exit code says a person should look.
      process.exitCode = result.exitCode
    } catch (error) {
      reporter.stop()
      if (error instanceof UsageError) this.fail(error.message, 2)
      // A run that stops (--max-errors, Stokt failing, a signal) prints no summary: the records it
      // had rejected are listed here, as a run that completes lists them.
      const rejectedSoFar = error instanceof ImportFailure ? error.summary : undefined
      if (rejectedSoFar && rejectedSoFar.rejected.length > 0) this.logToStderr(formatRejected(rejectedSoFar))
      if (error instanceof ImportInterrupted) this.fail(error.message, SIGNAL_EXIT_CODES[error.signal] ?? 1)
      if (error instanceof ImportFailure || error instanceof StoktError) this.fail(error.message, 1)
      throw error
    } finally {
      stop.dispose()
    }
  }

  /** One unwrapped line on stderr, for a person or a cron log; no stack trace. */
  protected fail(message: string, exitCode: number): never {
    this.logToStderr(`Error: ${message}`)
    this.exit(exitCode)
  }
}

/** 128 + the signal's number, as shells report it. */
const SIGNAL_EXIT_CODES: Record<string, number> = {SIGHUP: 129, SIGINT: 130, SIGTERM: 143}
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/**
 * SIGINT/SIGTERM — and SIGHUP, a terminal or SSH session closing — ask the run to stop between
 * batches (the current one is committed or rolled back whole), and it is recorded as interrupted;
 * a second signal quits at once, which the database's transactions make just as safe.
 */
function stopOnSignals(onFirst: (signal: NodeJS.Signals) => void): {signal: AbortSignal; dispose(): void} {
  const controller = new AbortController()
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(SIGNAL_EXIT_CODES[signal])
    onFirst(signal)
    controller.abort(signal)
  }
  for (const signal of STOP_SIGNALS) process.on(signal, handler)
  return {
    signal: controller.signal,
    dispose() {
      for (const signal of STOP_SIGNALS) process.off(signal, handler)
    },
  }
}

/**
 * Output nobody reads any more — a pipe closed (`| head -1`), a terminal gone — is not the
 * import's failure: unhandled, the write error would end the process at once, mid-run, its run
 * left "running" and its lock held. The run goes on; its exit code and run history still tell.
 */
function ignoreClosedOutput(): void {
  // Kept to the process's end: a write's error arrives after it, the summary's last of all.
  const handler = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'EIO') throw error
  }
  process.stdout.on('error', handler)
  process.stderr.on('error', handler)
}
