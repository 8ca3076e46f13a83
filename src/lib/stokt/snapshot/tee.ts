import {FileWriteError} from '../../common/fileWriteError.js'
import {StoktError, type ClimbsPage, type StoktSource} from '../source.js'
import type {SnapshotWriter} from './writer.js'

/** Passes every call through to `inner` and saves what was served to a snapshot. */
export class TeeSource implements StoktSource {
  readonly description: string
  private gymId?: string
  private maxAge: number | null = null
  private pages = 0
  /** Stokt's `count` on the last page read. */
  private count?: number
  private readingStartedAt?: string
  private climbs: 'not requested' | 'reading' | 'complete' = 'not requested'
  /** A call to `inner` failed: what was saved may lack something, so the snapshot is not finished. */
  private failed = false

  constructor(
    private readonly inner: StoktSource,
    private readonly writer: SnapshotWriter,
  ) {
    this.description = inner.description
  }

  async gymSummary(gymId: string): Promise<unknown> {
    const summary = await this.passThrough(() => this.inner.gymSummary(gymId))
    this.gymId ??= gymId
    await this.writer.writeSummary(summary)
    return summary
  }

  async walls(gymId: string): Promise<unknown> {
    const walls = await this.passThrough(() => this.inner.walls(gymId))
    this.gymId ??= gymId
    await this.writer.writeWalls(walls)
    return walls
  }

  async faceSetup(faceId: string): Promise<unknown> {
    // A face Stokt has no setup for is that face's problem (rejected): saved as no file, which the snapshot serves as the same 404.
    const setup = await this.passThrough(
      () => this.inner.faceSetup(faceId),
      (error) => error instanceof StoktError && error.status === 404,
    )
    await this.writer.writeSetup(faceId, setup)
    return setup
  }

  async *climbPages(gymId: string, maxAge: number): AsyncGenerator<ClimbsPage> {
    if (this.climbs !== 'not requested') {
      // The snapshot holds the first reading of the climbs; later ones are served, not saved.
      yield* this.inner.climbPages(gymId, maxAge)
      return
    }
    this.climbs = 'reading'
    this.readingStartedAt = new Date().toISOString()
    this.gymId ??= gymId
    this.maxAge = maxAge
    const pages = this.inner.climbPages(gymId, maxAge)[Symbol.asyncIterator]()
    for (;;) {
      const next = await this.passThrough(() => pages.next())
      if (next.done) break
      await this.writer.appendClimbs(next.value.results)
      this.pages++
      if (next.value.count !== undefined) this.count = next.value.count
      yield next.value
    }
    this.climbs = 'complete'
  }

  /**
   * Finishes the snapshot when the run succeeded; else leaves it unfinished (the directory keeps what
   * it had). A run that succeeded without all it asked for served whole cannot have a snapshot: said.
   */
  async close({runSucceeded = false}: {runSucceeded?: boolean} = {}): Promise<void> {
    try {
      const whole = !this.failed && this.gymId !== undefined && this.climbs !== 'reading'
      if (runSucceeded && whole) {
        await this.writer.finish({
          gymId: this.gymId!,
          maxAge: this.maxAge,
          pages: this.pages,
          count: this.count,
          climbsReadAt: this.readingStartedAt,
          climbsComplete: this.climbs === 'complete',
        })
        return
      }
      await this.writer.abandon()
      if (runSucceeded) {
        const lacking = this.climbs === 'reading' ? 'the climbs were not read to the end' : 'a call to Stokt failed'
        throw new FileWriteError(`the snapshot in ${this.writer.dir}`, `${lacking}; the folder keeps what it held before`)
      }
    } finally {
      await this.inner.close()
    }
  }

  /** `call`, a failure of which leaves the snapshot unfinished, unless `servedAsIs` says it is Stokt's answer, saved as such. */
  private async passThrough<T>(call: () => Promise<T>, servedAsIs: (error: unknown) => boolean = () => false): Promise<T> {
    try {
      return await call()
    } catch (error) {
      if (!servedAsIs(error)) this.failed = true
      throw error
    }
  }
}
