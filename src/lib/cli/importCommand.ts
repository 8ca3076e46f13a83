import {format} from 'node:util'

import {DEFAULT_DATABASE, MONTOBOARD_GYM_ID, importFlags} from '../../flags.js'
import type {ImportCommand} from '../import/ports.js'
import {StoktError} from '../stokt/source.js'
import {createLineReporter, createReporter, reporterMode} from '../output/progress.js'
import {RunLog} from '../output/runLog.js'
import {formatRejected, formatSummary} from '../output/summaryText.js'
import {EXIT, flagValuesGiven, importExitCode, MastocCommand} from './command.js'

/** What the four `import` commands share: flags into one `runImport` call, the summary printed; exit codes in MastocCommand. */
export abstract class ImportBaseCommand extends MastocCommand {
  static override flags = importFlags

  protected abstract readonly what: ImportCommand
  /** `--log-file`: the run's lines go there; stdout and stderr get only what a failed run says. */
  private runLog?: RunLog
  private runLogTried = false

  async run(): Promise<void> {
    const {flags, metadata} = await this.parse(this.constructor as typeof ImportBaseCommand)
    if (flags['log-file']) this.openRunLog(flags['log-file'])
    const runLog = this.runLog
    const reporter = runLog ? createLineReporter('lines', {write: (text) => runLog.append(text)}) : createReporter(reporterMode(flags))
    // Warned, not refused: row by row still reads that many records ahead (where --max-errors stops).
    if (!flags.batch && metadata.flags['batch-size']?.setFromDefault !== true) {
      reporter.warn(
        '--no-batch writes one record per transaction: --batch-size only sets how many records are read before they are written',
      )
    }
    // The importer and its libraries (zod, knex) load once a run starts, never for --help.
    const [{buildImportOptions}, {runImport}, {ImportFailure, ImportInterrupted}] = await Promise.all([
      import('./importOptions.js'),
      import('../import/importer.js'),
      import('../import/failures.js'),
    ])
    const stop = stopOnSignals((signal) =>
      reporter.warn(`${signal}: stopping once the current batch is written or rolled back (again to quit now)`),
    )
    ignoreClosedOutput()
    try {
      const options = await buildImportOptions(this.what, flags, {database: DEFAULT_DATABASE, gym: MONTOBOARD_GYM_ID}, (retry) =>
        reporter.warn(`${retry.call}: ${retry.reason}; retrying in ${(retry.delayMs / 1000).toFixed(1)} s`),
      )
      const result = await runImport({...options, signal: stop.signal}, reporter)
      reporter.stop()
      const listing = {rejectsFile: flags.rejects}
      if (runLog) {
        runLog.write(formatSummary(result.summary, options.database.display, listing))
        // Printed, so that cron mails them; the log has them in its summary.
        if (result.summary.rejected.length > 0) super.logToStderr(formatRejected(result.summary, listing))
      } else if (flags.json) this.log(JSON.stringify(result.summary, null, 2))
      else if (!flags.quiet) this.log(formatSummary(result.summary, options.database.display, listing))
      else if (result.summary.rejected.length > 0) this.logToStderr(formatRejected(result.summary, listing))
      // Partial failure: the summary is printed, and the exit code says a person should look.
      process.exitCode = importExitCode(result.summary)
    } catch (error) {
      reporter.stop()
      // A run that stops prints no summary: the records it had rejected are listed here.
      const rejectedSoFar = error instanceof ImportFailure ? error.summary : undefined
      if (rejectedSoFar && rejectedSoFar.rejected.length > 0) this.logToStderr(formatRejected(rejectedSoFar, {rejectsFile: flags.rejects}))
      if (error instanceof ImportInterrupted) this.fail(error.message, SIGNAL_EXIT_CODES[error.signal] ?? EXIT.failed)
      if (error instanceof ImportFailure || error instanceof StoktError) this.fail(withStoktHint(error, flags), EXIT.failed)
      throw error
    } finally {
      stop.dispose()
    }
  }

  /** A usage error, found before run() had its flags: with --log-file on the command line, the log has the run too. */
  override async catch(error: Error & {oclif?: {exit?: number}}): Promise<never> {
    if (!this.runLogTried) {
      const path = logFileGiven(this.argv)
      if (path !== undefined) this.openRunLog(path, {quietly: true})
    }
    return super.catch(error)
  }

  protected override noteFailure(message: string): void {
    this.runLog?.write(`Error: ${message}`)
  }

  /** With --log-file, what the run prints (a failure's error) is in the log too. */
  override logToStderr(message = '', ...args: unknown[]): void {
    super.logToStderr(message, ...args)
    this.runLog?.write(format(message, ...args))
  }

  /** Cron's line: every run in the log, from its start to its exit code. Quietly: a log that cannot be is left out. */
  private openRunLog(path: string, {quietly = false} = {}): void {
    this.runLogTried = true
    try {
      this.runLog = new RunLog(path)
    } catch (error) {
      if (quietly) return
      this.fail((error as Error).message, EXIT.failed)
    }
    const runLog = this.runLog
    runLog.write(`mastoc import ${this.what}: started (pid ${process.pid})`)
    process.once('exit', (code) => {
      runLog.write(`mastoc import ${this.what}: exit ${code}`)
      runLog.close()
    })
  }
}

/** The `--log-file` on the command line (before any `--`), as oclif reads it; undefined when none has a value, or when given twice (refused). */
function logFileGiven(argv: readonly string[]): string | undefined {
  const end = argv.indexOf('--')
  const given = flagValuesGiven(end === -1 ? argv : argv.slice(0, end), '--log-file')
  const [path] = given
  return given.length === 1 && path !== undefined && path !== '' && !path.startsWith('-') ? path : undefined
}

/** Stokt never answered (refused, reset, timed out, no such host): where the run looked for it. */
function withStoktHint(error: Error, flags: {'stokt-url': string; 'from-snapshot'?: string}): string {
  const stokt = error instanceof StoktError ? error : error.cause instanceof StoktError ? error.cause : undefined
  if (!stokt?.unreachable || flags['from-snapshot'] !== undefined) return error.message
  return `${error.message}; is Stokt at ${flags['stokt-url']}? Check --stokt-url (STOKT_URL) and the network`
}

/** 128 + the signal's number, as shells report it. */
const SIGNAL_EXIT_CODES: Record<string, number> = {SIGHUP: 129, SIGINT: 130, SIGTERM: 143}
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

/** SIGINT, SIGTERM, SIGHUP: stop between batches, recorded as interrupted; a second quits at once, as safe by transactions. */
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

/** Output nobody reads (a pipe closed) is not the run's failure: unhandled, it would end the process mid-run, left "running". */
function ignoreClosedOutput(): void {
  // Kept to the process's end: a write's error arrives after it, the summary's last of all.
  const handler = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE' && error.code !== 'EIO') throw error
  }
  process.stdout.on('error', handler)
  process.stderr.on('error', handler)
}
