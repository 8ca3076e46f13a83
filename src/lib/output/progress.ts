import cliProgress from 'cli-progress'

import type {ImportReporter} from '../import/importer.js'
import type {SummaryEntity} from '../import/summary.js'

export interface Reporter extends ImportReporter {
  /** Stops bars and flushes lines before the summary is printed. */
  stop(): void
}

export type ReporterMode = 'bars' | 'lines' | 'json' | 'quiet'

/**
 * Bars when a person watches a terminal; timestamped lines for cron and logs. --json: no progress,
 * warnings and notices only, on stderr. --quiet: warnings only, so that cron mails only when a
 * person is needed (a run waiting for a lock it then gets needs no one).
 */
export function createReporter(mode: ReporterMode, stream: NodeJS.WriteStream = process.stderr): Reporter {
  if (mode === 'bars') return new BarReporter(stream, localeIsUtf8() ? cliProgress.Presets.shades_grey : cliProgress.Presets.legacy)
  if (mode === 'lines') return new LineReporter(stream)
  return new QuietReporter(stream, {notices: mode === 'json'})
}

/**
 * Whether the terminal's locale (LC_ALL, else LC_CTYPE, else LANG, as the C library picks it)
 * says UTF-8. A terminal in another charset (Latin-1, or C/POSIX: unset included) shows each of
 * the bars' '█' as three characters: every bar is wider than the screen, wraps, and each redraw
 * piles up copies; it gets ASCII bars ('=' and '-') instead.
 */
export function localeIsUtf8(env: NodeJS.ProcessEnv = process.env): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || ''
  return /utf-?8/i.test(locale)
}

export function reporterMode(flags: {json: boolean; quiet: boolean}, stdout = process.stdout, stderr = process.stderr): ReporterMode {
  if (flags.json) return 'json'
  if (flags.quiet) return 'quiet'
  return stdout.isTTY && stderr.isTTY ? 'bars' : 'lines'
}

class QuietReporter implements Reporter {
  constructor(
    protected readonly stream: NodeJS.WriteStream,
    private readonly options: {notices: boolean} = {notices: true},
  ) {}
  phase(_message: string): void {}
  progress(_entity: SummaryEntity, _done: number, _total: number | undefined): void {}
  warn(message: string): void {
    this.stream.write(`${timestamp()} warning: ${message}\n`)
  }
  notice(message: string): void {
    if (this.options.notices) this.stream.write(`${timestamp()} ${message}\n`)
  }
  stop(): void {}
}

/** Between phase lines, a long phase shows it is alive this often. */
const HEARTBEAT_MS = 30_000

/**
 * One line per phase; before the next phase (and at the end, and every 30 s in a long phase) one
 * line of where each entity stands. Writes end after their phase began: the counts catch up there.
 */
class LineReporter extends QuietReporter {
  private readonly latest = new Map<SummaryEntity, {done: number; total: number | undefined}>()
  private readonly printed = new Map<SummaryEntity, string>()
  private lastLineMs = Date.now()

  override phase(message: string): void {
    this.flush()
    this.write(message)
  }

  override notice(message: string): void {
    this.phase(message)
  }

  override progress(entity: SummaryEntity, done: number, total: number | undefined): void {
    this.latest.set(entity, {done, total})
    if (Date.now() - this.lastLineMs >= HEARTBEAT_MS) this.flush()
  }

  override stop(): void {
    this.flush()
  }

  private flush(): void {
    const parts: string[] = []
    for (const [entity, {done, total}] of this.latest) {
      const text = `${entity} ${done}${total === undefined ? '' : `/${Math.max(total, done)}`}`
      if (done === 0 || this.printed.get(entity) === text) continue
      this.printed.set(entity, text)
      parts.push(text)
    }
    if (parts.length > 0) this.write(parts.join(', '))
  }

  private write(line: string): void {
    this.lastLineMs = Date.now()
    this.stream.write(`${timestamp()} ${line}\n`)
  }
}

class BarReporter extends QuietReporter {
  private readonly multibar: cliProgress.MultiBar
  private readonly bars = new Map<SummaryEntity, cliProgress.SingleBar>()

  constructor(stream: NodeJS.WriteStream, preset: cliProgress.Preset) {
    super(stream)
    this.multibar = new cliProgress.MultiBar(
      {
        stream,
        format: ' {entity} |{bar}| {value}/{total} {eta_formatted}',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        etaBuffer: 50,
        // A bar whose text had not changed was not redrawn after a line printed above the bars
        // pushed it down: it vanished from the screen.
        forceRedraw: true,
      },
      preset,
    )
  }

  override phase(message: string): void {
    this.printAboveBars(message)
  }

  override warn(message: string): void {
    this.printAboveBars(`warning: ${message}`)
  }

  override notice(message: string): void {
    this.printAboveBars(message)
  }

  override progress(entity: SummaryEntity, done: number, total: number | undefined): void {
    let bar = this.bars.get(entity)
    const shownTotal = Math.max(total ?? done, done, 1)
    if (bar === undefined) {
      bar = this.multibar.create(shownTotal, done, {entity: entity.padEnd(6)})
      this.bars.set(entity, bar)
      return
    }
    bar.setTotal(shownTotal)
    bar.update(done)
  }

  override stop(): void {
    this.multibar.stop()
  }

  /**
   * A line above the bars, where it stays, written now. cli-progress's own log() only buffers the
   * line until its next redraw, which never comes when the run ends first (a signal's warning, the
   * phase lines of a short run were lost so) and not before the first bar exists.
   */
  private printAboveBars(line: string): void {
    if (!this.multibar.isActive) {
      this.stream.write(`${line}\n`)
      return
    }
    this.multibar.log(`${line}\n`)
    this.multibar.update()
  }
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
}
