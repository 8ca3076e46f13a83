/** Where the importer reads a gym from: Stokt or a snapshot, as received: a malformed record, validated later, costs only itself. */
/** Stokt's `max_age` meaning "every climb". */
export const ALL_CLIMBS_MAX_AGE = 9999

export interface ClimbsPage {
  /** 1-based page number, in the order pages were read. */
  page: number
  /** `count` as this page announced it (it can grow while paging: newest climbs come first). */
  count: number | undefined
  /** The page's `results`, each record as received. */
  results: unknown[]
}

export interface StoktSource {
  /** A short, secret-free description for messages: "Stokt at https://www.sostokt.com", "snapshot ./snap". */
  readonly description: string
  /** `GET /api/gyms/{gymId}/summary`. */
  gymSummary(gymId: string): Promise<unknown>
  /** `GET /api/gyms/{gymId}/walls`. */
  walls(gymId: string): Promise<unknown>
  /** `GET /api/faces/{faceId}/setup`. */
  faceSetup(faceId: string): Promise<unknown>
  /** `GET /api/gyms/{gymId}/climbs?max_age={maxAge}`, every page, following `next`, as they arrive. */
  climbPages(gymId: string, maxAge: number): AsyncIterable<ClimbsPage>
  /** When the climbs served were read from Stokt, when not now (a snapshot's); undefined when unknown or now. */
  climbsReadAt?(): Promise<string | undefined>
  /** Releases sockets and files; a run that succeeded (`runSucceeded`) has a snapshot it saves finished, any other leaves it unfinished. */
  close(options?: {runSucceeded?: boolean}): Promise<void>
}

/** A Stokt call that failed for good (after retries); the message names the call and never a secret. */
export class StoktError extends Error {
  /** No answer came at all (refused, reset, timed out, unknown host): the URL or the network is wrong. */
  unreachable = false

  constructor(
    message: string,
    readonly call: string,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'StoktError'
  }
}
