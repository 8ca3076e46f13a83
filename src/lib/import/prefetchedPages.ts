import type {ClimbsPage} from '../stokt/source.js'

/** An async iterator whose first page is asked for at once, before anyone waits for it. */
export class PrefetchedPages {
  private readonly iterator: AsyncIterator<ClimbsPage>
  private first?: Promise<IteratorResult<ClimbsPage>>

  constructor(pages: AsyncIterable<ClimbsPage>) {
    this.iterator = pages[Symbol.asyncIterator]()
    this.first = this.iterator.next()
    this.first.catch(() => {}) // reported when awaited; dropped if the run fails before that
  }

  next(): Promise<IteratorResult<ClimbsPage>> {
    const first = this.first
    this.first = undefined
    return first ?? this.iterator.next()
  }

  /** Ends the walk early (a failure, a signal). Not awaited: a generator's return() waits for its pending request, a stop must not. */
  close(): void {
    this.iterator.return?.(undefined).catch(() => {})
  }
}
