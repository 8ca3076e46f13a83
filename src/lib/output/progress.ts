import cliProgress from 'cli-progress'

import type {ImportReporter} from '../import/importer.js'
import type {SummaryEntity} from '../import/summary.js'

export interface Reporter extends ImportReporter {
  /** Stops bars and flushes lines before the summary is printed. */
  stop(): void
}

/** Bars when a person watches a terminal; timestamped lines for cron and logs; nothing for --json. */
export function createReporter(mode: 'bars' | 'lines' | 'quiet', stream: NodeJS.WriteStream = process.stderr): Reporter {
  if (mode === 'bars') return new BarReporter(stream)
  if (mode === 'lines') return new LineReporter(stream)
  return new QuietReporter(stream)
}

export function reporterMode(json: boolean, stdout = process.stdout, stderr = process.stderr): 'bars' | 'lines' | 'quiet' {
  if (json) return 'quiet'
  return stdout.isTTY && stderr.isTTY ? 'bars' : 'lines'
}

class QuietReporter implements Reporter {
  constructor(protected readonly stream: NodeJS.WriteStream) {}
  phase(_message: string): void {}
  progress(_entity: SummaryEntity, _done: number, _total: number | undefined): void {}
  warn(message: string): void {
    this.stream.write(`${timestamp()} warning: ${message}\n`)
  }
  stop(): void {}
}

/** Between phase lines, a long phase shows it is alive this often. */
const HEARTBEAT_MS = 30_000

/** One line per phase, and a progress line per entity when it ends (and every 30 s in a long one). */
class LineReporter extends QuietReporter {
  private readonly lastLineMs = new Map<SummaryEntity, number>()

  override phase(message: string): void {
    this.stream.write(`${timestamp()} ${message}\n`)
  }

  override progress(entity: SummaryEntity, done: number, total: number | undefined): void {
    if (done === 0) return
    const now = Date.now()
    const finished = total !== undefined && done >= total
    if (!finished && now - (this.lastLineMs.get(entity) ?? now) < HEARTBEAT_MS) {
      if (!this.lastLineMs.has(entity)) this.lastLineMs.set(entity, now)
      return
    }
    this.lastLineMs.set(entity, now)
    this.stream.write(`${timestamp()} ${entity}: ${done}${total === undefined ? '' : `/${total}`}\n`)
  }
}

class BarReporter extends QuietReporter {
  private readonly multibar: cliProgress.MultiBar
  private readonly bars = new Map<SummaryEntity, cliProgress.SingleBar>()

  constructor(stream: NodeJS.WriteStream) {
    super(stream)
    this.multibar = new cliProgress.MultiBar(
      {
        stream,
        format: ' {entity} |{bar}| {value}/{total} {eta_formatted}',
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_grey,
    )
  }

  override phase(message: string): void {
    this.multibar.log(`${message}\n`)
  }

  override warn(message: string): void {
    this.multibar.log(`warning: ${message}\n`)
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
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
}
