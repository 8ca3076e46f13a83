import cliProgress from 'cli-progress'

import type {ImportReporter} from '../import/ports.js'
import type {SummaryEntity} from '../import/summary.js'
import {logTimestamp} from './runLog.js'
import {formatSeconds} from './time.js'

export interface Reporter extends ImportReporter {
  /** Stops bars and flushes lines before the summary is printed. */
  stop(): void
}

export type ReporterMode = 'bars' | 'lines' | 'json' | 'quiet'

/** Where lines go: a stream, or anything that takes text (the --log-file). */
export interface LineSink {
  write(text: string): unknown
}

/** Bars on a terminal, timestamped lines elsewhere; --json: warnings and notices; --quiet: warnings only, so that cron mails rarely. */
export function createReporter(mode: ReporterMode, stream: NodeJS.WriteStream = process.stderr): Reporter {
  if (mode === 'bars') return new BarReporter(stream, localeIsUtf8() ? cliProgress.Presets.shades_grey : cliProgress.Presets.legacy)
  return createLineReporter(mode, stream)
}

/** Timestamped lines (or, quiet, warnings only) to any sink: stderr, or the --log-file. */
export function createLineReporter(mode: Exclude<ReporterMode, 'bars'>, sink: LineSink): Reporter {
  if (mode === 'lines') return new LineReporter(sink)
  return new QuietReporter(sink, {notices: mode === 'json'})
}

/** Whether the locale (LC_ALL, LC_CTYPE, LANG) says UTF-8: elsewhere '█' is three characters and the bars wrap; ASCII bars instead. */
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
    protected readonly stream: LineSink,
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

/** One line per phase; before the next (and at the end, and every 30 s) one line of where each entity stands. */
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

/** Where a bar stands: what the format draws, beside cli-progress's own value and total. */
interface BarState {
  entity: SummaryEntity
  done: number
  /** Undefined until known: the setters are counted only once every climb is read. */
  total: number | undefined
  startedMs: number
  /** When `done` last moved. */
  updatedMs: number
}

class BarReporter extends QuietReporter {
  private readonly multibar: cliProgress.MultiBar
  private readonly bars = new Map<SummaryEntity, {bar: cliProgress.SingleBar; state: BarState}>()

  constructor(
    private readonly terminal: NodeJS.WriteStream,
    preset: cliProgress.Preset,
  ) {
    super(terminal)
    this.multibar = new cliProgress.MultiBar(
      {
        stream: terminal,
        // Drawn here: cli-progress's ETA averages its last updates, which a batch brings all at once.
        format: (options, _params, payload: BarState) => barLine(payload, options, Date.now()),
        barsize: barSize(terminal.columns),
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        // Else a bar whose text had not changed vanished when a line printed above pushed it down.
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
    const now = Date.now()
    const existing = this.bars.get(entity)
    if (existing === undefined) {
      const state: BarState = {entity, done, total, startedMs: now, updatedMs: now}
      this.bars.set(entity, {bar: this.multibar.create(Math.max(total ?? 0, done, 1), done, state), state})
      return
    }
    const {bar, state} = existing
    if (done !== state.done) state.updatedMs = now
    state.done = done
    state.total = total
    bar.setTotal(Math.max(total ?? 0, done, 1))
    bar.update(done, state)
  }

  override stop(): void {
    this.multibar.stop()
  }

  /** A line above the bars, written now: cli-progress's log() waits for a redraw, which a run ending first never gets. */
  private printAboveBars(line: string): void {
    if (!this.multibar.isActive) {
      this.stream.write(`${line}\n`)
      return
    }
    // The bars turn the terminal's own wrapping off: a longer line would lose its end. Each line
    // written over a bar's is erased to its end (ESC [K): cli-progress clears only the first.
    this.multibar.log(`${wrapped(line, this.terminal.columns).replaceAll('\n', `${ERASE_TO_END}\n`)}${ERASE_TO_END}\n`)
    this.multibar.update()
  }
}

const ERASE_TO_END = '\x1b[K'

/** The bar's width: 30, less on a terminal too narrow for it and the counts, rate and ETA beside it. */
export function barSize(columns: number | undefined): number {
  return columns ? Math.max(10, Math.min(30, columns - BESIDE_THE_BAR)) : 30
}

/** " climbs |", "| 20000/20000 12345/s ETA 10m30s": what a bar line holds besides the bar. */
const BESIDE_THE_BAR = 42

/** `text` in lines of at most `columns` characters, cut at a space where one is near; the rest indented. */
export function wrapped(text: string, columns: number | undefined): string {
  if (!columns || columns < 20) return text
  const lines: string[] = []
  let rest = text
  for (let characters = [...rest]; characters.length > columns; characters = [...rest]) {
    const head = characters.slice(0, columns).join('')
    const space = head.lastIndexOf(' ')
    const cut = space > columns / 2 ? space : head.length
    lines.push(rest.slice(0, cut).trimEnd())
    rest = `  ${rest.slice(cut).trimStart()}`
  }
  lines.push(rest)
  return lines.join('\n')
}

/** " climbs |████░░░░| 340/400 512/s ETA 1s": the bar, where it stands, its rate and time left. */
export function barLine(state: BarState, options: cliProgress.Options, nowMs: number): string {
  const {done, total} = state
  const shownTotal = total === undefined ? undefined : Math.max(total, done)
  const bar = cliProgress.Format.BarFormat(shownTotal ? done / shownTotal : 0, options)
  const {rate, etaMs} = rateAndEta(state, nowMs)
  const parts = [` ${state.entity.padEnd(6)} |${bar}| ${done}${shownTotal === undefined ? '' : `/${shownTotal}`}`]
  if (rate !== undefined) parts.push(`${rate >= 10 ? Math.round(rate) : rate.toFixed(1)}/s`)
  if (shownTotal !== undefined && done >= shownTotal && done > 0)
    parts.push(`in ${formatSeconds((state.updatedMs - state.startedMs) / 1000)}`)
  else if (etaMs !== undefined) parts.push(`ETA ${formatSeconds(etaMs / 1000)}`)
  return parts.join(' ')
}

/** The rate up to the bar's last move, and the time left counted down from it: between batches the ETA ticks down. */
export function rateAndEta(state: Omit<BarState, 'entity'>, nowMs: number): {rate?: number; etaMs?: number} {
  const elapsedMs = state.updatedMs - state.startedMs
  if (state.done <= 0 || elapsedMs <= 0) return {}
  const rate = (state.done * 1000) / elapsedMs
  if (state.total === undefined || state.done >= state.total) return {rate}
  const finishMs = state.updatedMs + ((state.total - state.done) / rate) * 1000
  return {rate, etaMs: Math.max(0, finishMs - nowMs)}
}

const timestamp = logTimestamp
