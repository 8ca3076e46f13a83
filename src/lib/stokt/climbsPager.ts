import {ClimbsPageSchema, type ClimbsPageEnvelope} from './schema/climbsPage.js'
import {StoktError, type ClimbsPage} from './source.js'

/** Pages in a row with no climb not read yet, after which a list still linking on is not a list (paging repeats far less). */
const PAGES_WITHOUT_NEW_CLIMBS = 10

/** Pages fetched ahead at most, whatever the batch: a few MB of climbs. */
const MAX_PAGES_AHEAD = 64

/** What the pager asks of the client: its requests, and what it knows of Stokt's address. */
export interface PagerOptions {
  request(spec: {call: string; method: 'GET'; url: string; authenticated: true; notFound?: string}): Promise<unknown>
  baseUrl: string
  /** `page_size` asked on the first URL; undefined asks for none. */
  pageSize?: number
  /** Requests in flight at most. */
  concurrency: number
  /** Climbs read ahead of the one being imported (the importer's batch), so that Stokt is not left idle. */
  climbsAhead?: number
  /** The most pages one walk reads. */
  maxPages: number
  /** A `next` link resolved against its page, or refused (another origin, credentials). */
  checkedNextUrl(next: string, fromPage: string, call: string): string
}

/** The climbs list of a gym, walked page by page as Stokt links them, with its guards. */
export class ClimbsPager {
  constructor(private readonly options: PagerOptions) {}

  /**
   * Every page, in order, following `next`. Pages ahead are guessed from the first `next` link's
   * `page` number, and each page's own `next` is still checked against the guess.
   *
   * A page fetched ahead can miss climbs that climbs created meanwhile pushed onto it: when `count`
   * changed during a walk that read ahead, the list is read once more, link by link. So it is when a
   * linked page vanished (404: climbs deleted meanwhile); a page vanishing again fails the run.
   */
  async *climbPages(gymId: string, maxAge: number): AsyncGenerator<ClimbsPage> {
    const walk: WalkState = {pagesServed: 0, counts: new Set(), readAhead: false}
    const first = yield* this.walk(gymId, maxAge, walk, true)
    if (first.vanishedPage === undefined && !(walk.readAhead && walk.counts.size > 1)) return
    const second = yield* this.walk(gymId, maxAge, walk, false)
    if (second.vanishedPage !== undefined) throw second.vanishedPage
  }

  /** Walks the list once; a page after the first that answers 404 ends the walk, and is returned. */
  private async *walk(
    gymId: string,
    maxAge: number,
    walk: WalkState,
    readAhead: boolean,
  ): AsyncGenerator<ClimbsPage, {vanishedPage?: StoktError}> {
    const path = `/api/gyms/${encodeURIComponent(gymId)}/climbs`
    const fetchPage = (page: number, url: string) => {
      const call = `GET ${path} page ${page}`
      return this.options
        .request({
          call,
          method: 'GET',
          url,
          authenticated: true,
          notFound: page === 1 ? `Stokt has no gym ${gymId}` : undefined,
        })
        .then((body) => parsePageEnvelope(body, call))
    }
    const ahead = new PagesAhead(fetchPage, this.options.concurrency)
    let pagesAhead = readAhead ? this.options.concurrency : 0
    try {
      // Only the first URL is ours: every later one is the `next` link Stokt serves.
      const pageSizeParam = this.options.pageSize === undefined ? '' : `&page_size=${this.options.pageSize}`
      let url: string | null = `${this.options.baseUrl}${path}?max_age=${encodeURIComponent(String(maxAge))}${pageSizeParam}`
      const visitedUrls = new Set<string>()
      // By page number too: a link back to an earlier page may differ in its query (a cache-buster).
      const visitedPageNumbers = new Set<string>()
      let listNumbered = false
      let numbered: URL | undefined
      let pageSize = 1
      let firstCount = 0
      let largestCount = 0
      // What was received bounds the walk too: the counts are the server's word, and can be anything.
      const climbIds = new Set<string>()
      let pagesWithoutNewClimb = 0
      for (let page = 1; url !== null; page++) {
        const call = `GET ${path} page ${page}`
        const pageNumberKey = numberedPageKey(url)
        if (visitedUrls.has(url) || (listNumbered && visitedPageNumbers.has(pageNumberKey))) {
          throw new StoktError(`${call}: the previous page's next link repeats an earlier page; stopping`, call)
        }
        // No walk goes on for ever: twice the pages the largest count needs at page 1's size, plus 10,
        // the count trusted up to twice page 1's so that one growing with every page cannot move the bound.
        if (page > 1) {
          const pagesNeeded = Math.ceil(Math.min(largestCount, 2 * firstCount) / pageSize)
          if (page > 2 * pagesNeeded + 10) {
            throw new StoktError(
              `${call}: the next links have led through ${page - 1} pages, far more than the ${largestCount} climbs counted need at ${pageSize} a page; stopping`,
              call,
            )
          }
          if (pagesWithoutNewClimb >= PAGES_WITHOUT_NEW_CLIMBS) {
            throw new StoktError(
              `${call}: the last ${pagesWithoutNewClimb} pages brought no climb not already read, yet link to more; stopping`,
              call,
            )
          }
          if (page > this.options.maxPages) {
            throw new StoktError(`${call}: the next links have led through ${page - 1} pages, the most one walk reads; stopping`, call)
          }
        }
        visitedUrls.add(url)
        visitedPageNumbers.add(pageNumberKey)
        let envelope: ClimbsPageEnvelope
        try {
          envelope = await ahead.take(page, url)
        } catch (error) {
          // DRF's "Invalid page.": the list shrank below a linked page (page 1's 404: no such gym).
          if (page > 1 && error instanceof StoktError && error.status === 404) return {vanishedPage: error}
          throw error
        }
        walk.counts.add(envelope.count)
        pagesWithoutNewClimb = addNewClimbIds(envelope.results, climbIds) > 0 ? 0 : pagesWithoutNewClimb + 1
        if (page === 1) firstCount = envelope.count
        largestCount = Math.max(largestCount, envelope.count)
        // A next link that may not be followed fails the walk, but only after this page is served.
        let next: string | null = null
        let refusedNext: unknown
        try {
          next = envelope.next === null ? null : this.options.checkedNextUrl(envelope.next, url, call)
        } catch (error) {
          refusedNext = error
        }
        if (page === 1 && next !== null) {
          numbered = pageNumbered(next, 2)
          listNumbered = numbered !== undefined
          pageSize = Math.max(1, envelope.results.length)
          if (readAhead) pagesAhead = Math.max(pagesAhead, Math.min(MAX_PAGES_AHEAD, Math.ceil((this.options.climbsAhead ?? 0) / pageSize)))
        }
        if (next !== null && numbered !== undefined && pagesAhead > 0) {
          if (next === pageUrl(numbered, page + 1)) {
            // Only as far as the count says pages go; a growing list is followed link by link.
            const lastPage = Math.ceil(envelope.count / pageSize)
            for (let later = page + 1; later <= Math.min(page + pagesAhead, lastPage); later++) {
              ahead.start(later, pageUrl(numbered, later))
              walk.readAhead = true
            }
          } else {
            numbered = undefined
            ahead.discard()
          }
        }
        walk.pagesServed += 1
        // A turn of the event loop: the answers that came in meanwhile start the next requests.
        await new Promise((resolve) => setImmediate(resolve))
        yield {page: walk.pagesServed, count: envelope.count, results: envelope.results}
        if (refusedNext !== undefined) throw refusedNext
        url = next
      }
      return {}
    } finally {
      ahead.discard()
    }
  }
}

/** Adds the ids of `results` to `seen`; answers how many were not there yet (a record without id adds none). */
function addNewClimbIds(results: readonly unknown[], seen: Set<string>): number {
  const before = seen.size
  for (const record of results) {
    const id = isRecord(record) ? record.id : undefined
    if (typeof id === 'string' || typeof id === 'number') seen.add(String(id))
  }
  return seen.size - before
}

/** `next` with its `page` parameter, when it has one equal to `expected`: a numbered list. */
function pageNumbered(next: string, expected: number): URL | undefined {
  const url = new URL(next)
  return url.searchParams.get('page') === String(expected) ? url : undefined
}

/** Where `url` is in a numbered list: its origin, path and `page` number (none: page 1). */
function numberedPageKey(url: string): string {
  const parsed = new URL(url)
  return `${parsed.origin}${parsed.pathname} page ${parsed.searchParams.get('page') ?? '1'}`
}

function pageUrl(numbered: URL, page: number): string {
  const url = new URL(numbered)
  url.searchParams.set('page', String(page))
  return url.href
}

interface WalkState {
  /** Pages served so far, over every walk: the page numbers the caller sees. */
  pagesServed: number
  /** Every `count` the pages announced. */
  counts: Set<number>
  /** Whether any page was requested ahead of need. */
  readAhead: boolean
}

/**
 * Pages requested ahead of need, `inFlight` at a time, in page order. A page is used only when the
 * page before it pointed to it; one past the end (a 404) or no longer wanted is dropped silently.
 */
class PagesAhead {
  private readonly pending = new Map<number, {url: string; envelope: Promise<ClimbsPageEnvelope>}>()
  private readonly queued: (() => void)[] = []
  private running = 0

  constructor(
    private readonly fetchPage: (page: number, url: string) => Promise<ClimbsPageEnvelope>,
    private readonly inFlight: number,
  ) {}

  start(page: number, url: string): void {
    if (this.pending.has(page)) return
    const envelope = this.limited(() => this.fetchPage(page, url))
    envelope.catch(() => {}) // awaited by take(), or dropped: never an unhandled rejection
    this.pending.set(page, {url, envelope})
  }

  take(page: number, url: string): Promise<ClimbsPageEnvelope> {
    const started = this.pending.get(page)
    this.pending.delete(page)
    if (started?.url === url) return started.envelope
    return this.fetchPage(page, url)
  }

  /** Drops the pages ahead: those still queued are never asked for. */
  discard(): void {
    this.pending.clear()
    this.queued.length = 0
  }

  private limited(fetch: () => Promise<ClimbsPageEnvelope>): Promise<ClimbsPageEnvelope> {
    return new Promise((resolve, reject) => {
      const send = () => {
        this.running++
        fetch()
          .then(resolve, reject)
          .finally(() => {
            this.running--
            this.queued.shift()?.()
          })
      }
      if (this.running < this.inFlight) send()
      else this.queued.push(send)
    })
  }
}

function parsePageEnvelope(body: unknown, call: string): ClimbsPageEnvelope {
  if (!isRecord(body)) {
    const what = Array.isArray(body) ? 'an array' : `a ${body === null ? 'null' : typeof body}`
    throw new StoktError(`${call}: Stokt's answer is not a page of climbs ({count, next, results: []}): ${what}`, call)
  }
  const parsed = ClimbsPageSchema.safeParse(body)
  if (!parsed.success) {
    // 1e400 reads as Infinity: out of range, not "not a whole number".
    const countOutOfRange = typeof body.count === 'number' && !Number.isFinite(body.count)
    const what = countOutOfRange ? 'count is out of range: too large a number' : (parsed.error.issues[0]?.message ?? 'unreadable')
    throw new StoktError(`${call}: Stokt's answer is not a page of climbs ({count, next, results: []}): ${what}`, call)
  }
  return parsed.data
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
