import type {ClimbsPage, StoktSource} from '../source.js'
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
    const setup = await this.passThrough(() => this.inner.faceSetup(faceId))
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

  /** Finishes the snapshot when all asked was served (climbs to the end, or never asked); else leaves it marked interrupted. */
  async close(): Promise<void> {
    try {
      const finishable = !this.failed && this.gymId !== undefined && this.climbs !== 'reading'
      if (finishable) {
        await this.writer.finish({
          gymId: this.gymId!,
          maxAge: this.maxAge,
          pages: this.pages,
          count: this.count,
          climbsReadAt: this.readingStartedAt,
          climbsComplete: this.climbs === 'complete',
        })
      } else {
        await this.writer.abandon()
      }
    } finally {
      await this.inner.close()
    }
  }

  private async passThrough<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      this.failed = true
      throw error
    }
  }
}
