/**
 * A real HTTP server that plays Stokt for tests and the benchmark, serving a GeneratedGym the way
 * the API notes describe Stokt (a Django REST Framework service): token login, `Token` auth, the
 * gym/walls/setup endpoints and page-number pagination of climbs with absolute `next` links.
 *
 * Choices where the real service's behaviour is unknown (kept strict, to catch client bugs):
 * - `max_age` is required on the climbs endpoint: missing or not a non-negative integer answers
 *   400 {"max_age": ["A valid integer is required."]}.
 * - Paths must match exactly (no trailing slash); an unknown path answers 404 {"detail": "Not found."}.
 * - A climb whose `dateCreated` does not parse is kept whatever `max_age` (so tests that serve
 *   malformed records see them).
 * - Unknown methods on a known path answer 405 after authentication, as DRF does.
 *
 * The gym may be swapped with setGym() or its `climbs` array changed in place (e.g. unshift new
 * climbs between two pages to play "created while paging"): both are seen by the next request.
 */
import {createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'
import {DEFAULT_NOW, type GeneratedGym} from './gymGenerator.js'

export interface StoktServerOptions {
  /** The gym served; can be swapped later with server.setGym(). */
  gym: GeneratedGym
  /** Default 'setter@example.com'. */
  username?: string
  /** Default 'correct horse'. */
  password?: string
  /** The token login returns and the server accepts; default DEFAULT_TOKEN. */
  token?: string
  /** Climbs per page, default 25. */
  pageSize?: number
  /**
   * Whether a `page_size` query parameter sets the climbs per page, as a DRF paginator with
   * `page_size_query_param` does (a value that is not a whole number above 0 is ignored); default
   * false: the parameter is ignored, as by a paginator without it.
   */
  honourPageSize?: boolean
  /** With `honourPageSize`: the most climbs a page holds, whatever was asked (DRF's `max_page_size`). */
  maxPageSize?: number
  /** Delay before every response, default 0. */
  latencyMs?: number
  /** Reference time for max_age, default the gym generator's default now. */
  now?: Date
  /** Called first for every request; return true if it has answered (fault injection by tests). */
  intercept?: (req: RecordedRequest, res: ServerResponse) => boolean | Promise<boolean>
}

export interface RecordedRequest {
  method: string
  /** The path alone, without the query string. */
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  body: string
}

export interface StoktServer {
  /** The origin, e.g. 'http://127.0.0.1:41234'. */
  url: string
  /** Every request, in order of arrival (intercepted ones included). */
  requests: RecordedRequest[]
  setGym(gym: GeneratedGym): void
  close(): Promise<void>
}

export const DEFAULT_USERNAME = 'setter@example.com'
export const DEFAULT_PASSWORD = 'correct horse'
/** Its head and tail (what the masker masks when a cut leaves them) hold a '-' and so never match a temporary path's random part. */
export const DEFAULT_TOKEN = 'Tk9-stokt-session-0123456789-zq'
export const DEFAULT_PAGE_SIZE = 25

/** `max_age` value that means "every climb". */
const ALL_CLIMBS_MAX_AGE = 9999
const DAY_MS = 86_400_000

/** The user `GET /api/users/me` answers with. */
const LOGGED_IN_USER_ID = '5e77e400-0000-4000-8000-000000000001'

/** Writes a JSON response, as the server's own routes do; handy in `intercept` hooks. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  })
  res.end(text)
}

/** Whether `req` asks for `gym`'s climbs page `page` (no `page` parameter: page 1); for `intercept` hooks. */
export function isClimbsPage(req: RecordedRequest, gym: GeneratedGym, page: number): boolean {
  return req.path === `/api/gyms/${gym.gymId}/climbs` && (req.query.get('page') ?? '1') === String(page)
}

/** How the client names the request for `gym`'s climbs page `page` in its warnings and errors. */
export function climbsCall(gym: GeneratedGym, page: number): string {
  return `GET /api/gyms/${gym.gymId}/climbs page ${page}`
}

export async function startStoktServer(options: StoktServerOptions): Promise<StoktServer> {
  const username = options.username ?? DEFAULT_USERNAME
  const password = options.password ?? DEFAULT_PASSWORD
  const token = options.token ?? DEFAULT_TOKEN
  const defaultPageSize = options.pageSize ?? DEFAULT_PAGE_SIZE
  const latencyMs = options.latencyMs ?? 0
  const nowMs = (options.now ?? DEFAULT_NOW).getTime()
  if (!Number.isInteger(defaultPageSize) || defaultPageSize < 1)
    throw new RangeError(`pageSize must be an integer >= 1, got ${defaultPageSize}`)

  /** DRF's PageNumberPagination.get_page_size: the parameter when it is a whole number above 0, capped. */
  function pageSizeOf(query: URLSearchParams): number {
    const asked = query.get('page_size')
    if (!options.honourPageSize || asked === null || !/^\d+$/.test(asked) || Number(asked) < 1) return defaultPageSize
    return Math.min(Number(asked), options.maxPageSize ?? Number.POSITIVE_INFINITY)
  }

  let gym = options.gym
  const climbFilter = new ClimbFilter(nowMs)
  const requests: RecordedRequest[] = []
  const pendingDelays = new Set<() => void>()
  let closing: Promise<void> | undefined
  let origin = ''

  const server = createServer((req, res) => {
    void handle(req, res)
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const body = await readBody(req)
      const url = new URL(req.url ?? '/', origin)
      const request: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      }
      requests.push(request)
      if (latencyMs > 0) await delay(latencyMs)
      if (closing || res.destroyed) return
      if (options.intercept && (await options.intercept(request, res))) return
      route(request, res)
    } catch (error) {
      sendJson(res, 500, {detail: `test server error: ${error instanceof Error ? error.message : String(error)}`})
    }
  }

  /** A timer that close() can cut short, so close never waits on a slow response. */
  function delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer)
        pendingDelays.delete(finish)
        resolve()
      }
      const timer = setTimeout(finish, ms)
      pendingDelays.add(finish)
    })
  }

  function route(request: RecordedRequest, res: ServerResponse): void {
    const {method, path} = request
    if (path === '/api/token-auth') {
      if (method !== 'POST') return methodNotAllowed(res, method)
      return login(request, res)
    }

    const match = matchRoute(path)
    if (!match) return sendJson(res, 404, {detail: 'Not found.'})
    if (request.headers.authorization !== `Token ${token}`) {
      return sendJson(res, 401, {detail: 'Invalid token.'}, {'WWW-Authenticate': 'Token'})
    }
    if (method !== 'GET') return methodNotAllowed(res, method)

    switch (match.route) {
      case 'me':
        return sendJson(res, 200, {id: LOGGED_IN_USER_ID, email: username, fullName: 'Test S.', avatar: null})
      case 'summary':
        return match.id === gym.gymId ? sendJson(res, 200, gym.summary) : notFound(res)
      case 'walls':
        return match.id === gym.gymId ? sendJson(res, 200, gym.walls) : notFound(res)
      case 'setup': {
        const setup = gym.setups.get(match.id)
        return setup ? sendJson(res, 200, setup) : notFound(res)
      }
      case 'climbs':
        return match.id === gym.gymId ? climbsPage(request, res) : notFound(res)
    }
  }

  function login(request: RecordedRequest, res: ServerResponse): void {
    // DRF's ObtainAuthToken reads form bodies and JSON alike.
    let fields: Record<string, unknown>
    if ((request.headers['content-type'] ?? '').includes('application/json')) {
      try {
        const parsed: unknown = JSON.parse(request.body)
        fields = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
      } catch (error) {
        return sendJson(res, 400, {detail: `JSON parse error - ${(error as Error).message}`})
      }
    } else {
      fields = Object.fromEntries(new URLSearchParams(request.body))
    }
    const missing: Record<string, string[]> = {}
    for (const field of ['username', 'password']) {
      if (typeof fields[field] !== 'string' || fields[field] === '') missing[field] = ['This field is required.']
    }
    if (Object.keys(missing).length > 0) return sendJson(res, 400, missing)
    if (fields.username !== username || fields.password !== password) {
      return sendJson(res, 400, {non_field_errors: ['Unable to log in with provided credentials.']})
    }
    sendJson(res, 200, {token})
  }

  function climbsPage(request: RecordedRequest, res: ServerResponse): void {
    const maxAgeParam = request.query.get('max_age')
    if (maxAgeParam === null || !/^\d+$/.test(maxAgeParam)) {
      return sendJson(res, 400, {max_age: ['A valid integer is required.']})
    }
    const pageParam = request.query.get('page') ?? '1'
    const page = /^\d+$/.test(pageParam) ? Number(pageParam) : 0

    const pageSize = pageSizeOf(request.query)
    const matching = climbFilter.within(gym.climbs, Number(maxAgeParam))
    // DRF serves an empty first page, but any other page must hold at least one result.
    const lastPage = Math.max(1, Math.ceil(matching.length / pageSize))
    if (page < 1 || page > lastPage) return sendJson(res, 404, {detail: 'Invalid page.'})

    const pageUrl = (target: number): string => {
      const url = new URL(request.path, origin)
      url.search = new URLSearchParams(request.query).toString()
      if (target === 1) url.searchParams.delete('page')
      else url.searchParams.set('page', String(target))
      return url.toString()
    }
    sendJson(res, 200, {
      count: matching.length,
      next: page < lastPage ? pageUrl(page + 1) : null,
      previous: page > 1 ? pageUrl(page - 1) : null,
      results: matching.slice((page - 1) * pageSize, page * pageSize),
    })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url: origin,
    requests,
    setGym(next: GeneratedGym) {
      gym = next
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const finish of [...pendingDelays]) finish()
        server.close((error) => (error ? reject(error) : resolve()))
        // Keep-alive sockets would otherwise hold close() open until they time out.
        server.closeAllConnections()
      })
      return closing
    },
  }
}

type RouteName = 'me' | 'summary' | 'walls' | 'climbs' | 'setup'

/** The route and its one path parameter (a gym or face id; '' for /users/me). */
interface RouteMatch {
  route: RouteName
  id: string
}

const ROUTES: {pattern: RegExp; route: RouteName}[] = [
  {pattern: /^\/api\/users\/me$/, route: 'me'},
  {pattern: /^\/api\/gyms\/([^/]+)\/summary$/, route: 'summary'},
  {pattern: /^\/api\/gyms\/([^/]+)\/walls$/, route: 'walls'},
  {pattern: /^\/api\/gyms\/([^/]+)\/climbs$/, route: 'climbs'},
  {pattern: /^\/api\/faces\/([^/]+)\/setup$/, route: 'setup'},
]

function matchRoute(path: string): RouteMatch | undefined {
  for (const {pattern, route} of ROUTES) {
    const match = pattern.exec(path)
    if (match) return {route, id: match[1] === undefined ? '' : decodeURIComponent(match[1])}
  }
  return undefined
}

function notFound(res: ServerResponse): void {
  sendJson(res, 404, {detail: 'Not found.'})
}

function methodNotAllowed(res: ServerResponse, method: string): void {
  sendJson(res, 405, {detail: `Method "${method}" not allowed.`})
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/**
 * The climbs created within `max_age` days of `now`, in the gym's order. Paging through 100,000
 * climbs asks for the same filter thousands of times, so the last result per max_age is kept while
 * the climbs array looks unchanged (same array, length and end elements).
 */
class ClimbFilter {
  private cache = new Map<
    number,
    {source: Record<string, unknown>[]; length: number; first: unknown; last: unknown; result: Record<string, unknown>[]}
  >()

  constructor(private readonly nowMs: number) {}

  within(climbs: Record<string, unknown>[], maxAgeDays: number): Record<string, unknown>[] {
    if (maxAgeDays >= ALL_CLIMBS_MAX_AGE) return climbs
    const cached = this.cache.get(maxAgeDays)
    if (
      cached &&
      cached.source === climbs &&
      cached.length === climbs.length &&
      cached.first === climbs[0] &&
      cached.last === climbs[climbs.length - 1]
    ) {
      return cached.result
    }
    const cutoffMs = this.nowMs - maxAgeDays * DAY_MS
    const result = climbs.filter((climb) => {
      const createdMs = typeof climb.dateCreated === 'string' ? Date.parse(climb.dateCreated) : Number.NaN
      return Number.isNaN(createdMs) || createdMs >= cutoffMs
    })
    this.cache.set(maxAgeDays, {source: climbs, length: climbs.length, first: climbs[0], last: climbs.at(-1), result})
    return result
  }
}
