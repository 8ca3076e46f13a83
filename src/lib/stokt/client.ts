// One session with Stokt — login, requests, retries, limits — whose methods share its state: the
// climbs pager (climbsPager.ts) and the body's decoding (responseBody.ts) live beside it.
import http, {type IncomingHttpHeaders} from 'node:http'
import https from 'node:https'
import {setTimeout as sleep} from 'node:timers/promises'
import got, {RequestError, TimeoutError, type Got} from 'got'
import {secrets} from '../common/secrets.js'
import {ClimbsPager} from './climbsPager.js'
import {decodedBody, withoutByteOrderMark} from './responseBody.js'
import {StoktError, type ClimbsPage, type StoktSource} from './source.js'

export interface RetryInfo {
  /** The call being retried, e.g. "GET /api/gyms/<id>/climbs page 3". */
  call: string
  /** The attempt that just failed, 1-based. */
  attempt: number
  /** What went wrong: "HTTP 503", "timed out after 30 s", "connection reset". */
  reason: string
  /** How long the client waits before the next attempt. */
  delayMs: number
}

export interface StoktClientOptions {
  /** Stokt's base URL, e.g. https://www.sostokt.com (a trailing slash is fine). */
  baseUrl: string
  /** A Stokt token, used as is; else… */
  token?: string
  /** …log in with these (POST /api/token-auth) on the first call. */
  username?: string
  password?: string
  /** Climb pages requested at once, ahead of the one being read; default 4. */
  concurrency?: number
  /** Climbs read ahead of the one being imported (the importer's batch); default none beyond `concurrency` pages. */
  climbsAhead?: number
  /** Per request; default 30000. */
  timeoutMs?: number
  /** Further attempts after a retryable failure (429, 5xx, timeout, connection error); default 4. */
  retries?: number
  /** First backoff delay, doubled at each attempt, plus jitter; default 500. */
  retryBaseDelayMs?: number
  /** Upper bound of one backoff delay; default 30000. */
  maxRetryDelayMs?: number
  /** Upper bound of a wait asked by `Retry-After`; default 60000. */
  maxRetryAfterMs?: number
  /** Called before each wait between attempts, for progress output. Carries no secret. */
  onRetry?: (info: RetryInfo) => void
  /**
   * Climbs asked for per page of the climbs list (`page_size`, as Stokt's own app sends it); none
   * by default. Stokt may serve fewer, or ignore it: the pages are followed as served either way.
   */
  pageSize?: number
  /** The most climb pages one walk reads, whatever the links and counts say; default 50,000. */
  maxPages?: number
  /** The most bytes of one response, decompressed, that the client reads; default 64 MiB. */
  maxResponseBytes?: number
}

/** Retry-After and backoff are honoured, but no wait may stall a run for longer than this. */
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000
/** 1.5 million climbs at Stokt's 30 a page: fifteen times the largest gym measured. */
const DEFAULT_MAX_PAGES = 50_000
/** A real page of climbs is under 100 KB: far above that, yet far below what would exhaust memory (a gzip bomb). */
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
const USER_AGENT = 'mastoc-importer'

/** Network error codes worth another attempt: the server or the path to it may come back. */
const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
])

interface RequestSpec {
  /** Human name of the call, used in every message: "GET /api/faces/<id>/setup". */
  call: string
  method: 'GET' | 'POST'
  url: string
  /** Form fields (token-auth only). */
  form?: Record<string, string>
  /** Sends `Authorization: Token …` (every call but token-auth). */
  authenticated: boolean
  /** The message for a 404, when the call has a meaningful one. */
  notFound?: string
}

/** A response read whole: its body decompressed, as received (decoded from its charset later). */
interface StoktResponse {
  statusCode: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** The outcome of one attempt that the retry loop must decide about. */
type Attempt = {kind: 'response'; response: StoktResponse} | {kind: 'failure'; reason: string; retryable: boolean; unreachable?: boolean}

/** Talks to Stokt over HTTP (got), with login, retries and pagination. See docs in source.ts. */
export class StoktClient implements StoktSource {
  readonly description: string

  private readonly baseUrl: string
  private readonly origin: string
  private readonly username?: string
  private readonly password?: string
  private readonly timeoutMs: number
  private readonly retries: number
  private readonly retryBaseDelayMs: number
  private readonly maxRetryDelayMs: number
  private readonly maxRetryAfterMs: number
  private readonly onRetry?: (info: RetryInfo) => void
  private readonly maxResponseBytes: number
  private closed = false
  private answeredOnce = false
  private readonly httpAgent = new http.Agent({keepAlive: true})
  private readonly httpsAgent = new https.Agent({keepAlive: true})
  private readonly got: Got
  private readonly pager: ClimbsPager

  private token?: string
  /** Logins so far: a 401 to a call sent before the latest login is not that login's token's fault. */
  private logins = 0
  /** A login that followed a 401, until a call succeeds with its token: if Stokt refuses that one too, the run fails. */
  private unprovenLogin?: number
  /** The login in progress, shared by concurrent calls so they log in once. */
  private pendingLogin?: Promise<string>

  constructor(options: StoktClientOptions) {
    let parsed: URL
    try {
      parsed = new URL(options.baseUrl)
    } catch {
      throw new StoktError(`Stokt URL "${options.baseUrl}" is not a URL`, 'configure')
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new StoktError(`Stokt URL "${options.baseUrl}" is not an http(s) URL`, 'configure')
    }
    // got would send them as Basic auth, on every call, beside the token.
    if (parsed.username !== '' || parsed.password !== '') {
      throw new StoktError('Stokt URL carries a user name or password; give them as username and password instead', 'configure')
    }
    const hasCredentials = options.username !== undefined && options.password !== undefined
    if (!options.token && !hasCredentials) {
      throw new StoktError('Stokt needs a token, or a username and a password', 'configure')
    }

    this.baseUrl = options.baseUrl.replace(/\/+$/, '')
    this.origin = parsed.origin
    this.description = `Stokt at ${this.baseUrl}`
    this.token = options.token || undefined
    this.username = options.username
    this.password = options.password
    secrets.add(this.token)
    secrets.add(this.password, {username: this.username})
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.retries = options.retries ?? 4
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 500
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS
    this.onRetry = options.onRetry
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    this.pager = new ClimbsPager({
      request: (spec) => this.request(spec),
      baseUrl: this.baseUrl,
      pageSize: options.pageSize,
      concurrency: Math.max(1, options.concurrency ?? 4),
      climbsAhead: options.climbsAhead,
      maxPages: options.maxPages ?? DEFAULT_MAX_PAGES,
      checkedNextUrl: (next, fromPage, call) => this.checkedNextUrl(next, fromPage, call),
    })
    this.got = got.extend({
      // The retry loop, redirects and status handling are ours: got only sends one request.
      retry: {limit: 0},
      throwHttpErrors: false,
      // A redirect could carry the token to another host; Stokt's API does not redirect.
      followRedirect: false,
      timeout: {request: this.timeoutMs},
      agent: {http: this.httpAgent, https: this.httpsAgent},
      headers: {'user-agent': USER_AGENT, accept: 'application/json'},
    })
  }

  gymSummary(gymId: string): Promise<unknown> {
    const path = `/api/gyms/${encodeURIComponent(gymId)}/summary`
    return this.getJson({call: `GET ${path}`, path, notFound: `Stokt has no gym ${gymId}`})
  }

  walls(gymId: string): Promise<unknown> {
    const path = `/api/gyms/${encodeURIComponent(gymId)}/walls`
    return this.getJson({call: `GET ${path}`, path, notFound: `Stokt has no gym ${gymId}`})
  }

  faceSetup(faceId: string): Promise<unknown> {
    const path = `/api/faces/${encodeURIComponent(faceId)}/setup`
    return this.getJson({call: `GET ${path}`, path, notFound: `Stokt has no face ${faceId}`})
  }

  /** Every page of the gym's climbs list: see ClimbsPager. */
  climbPages(gymId: string, maxAge: number): AsyncGenerator<ClimbsPage> {
    return this.pager.climbPages(gymId, maxAge)
  }

  async close(): Promise<void> {
    this.closed = true
    this.httpAgent.destroy()
    this.httpsAgent.destroy()
  }

  /**
   * A page's `next`, if it may receive the token. Only Stokt's own host may: a link to it with
   * another scheme or port (a proxy in front of Django builds `http://` links) is taken onto the
   * configured origin, path and query kept; a link to any other host is refused. A relative link
   * (`?page=2`) is relative to the page it came from, `fromPage`.
   */
  private checkedNextUrl(next: string, fromPage: string, call: string): string {
    let nextUrl: URL
    try {
      nextUrl = new URL(next, fromPage)
    } catch {
      throw new StoktError(`${call}: the next link is not a URL: ${this.redactedClip(next)}`, call)
    }
    // Checked before the origin: a file: link's origin is "null", and got would send a link's
    // user name and password as Basic auth, in place of the token.
    if (nextUrl.protocol !== 'http:' && nextUrl.protocol !== 'https:') {
      throw new StoktError(`${call}: the next link is not an http(s) URL (${nextUrl.protocol}); refusing to follow it`, call)
    }
    if (nextUrl.username !== '' || nextUrl.password !== '') {
      throw new StoktError(`${call}: the next link carries a user name or password; refusing to follow it`, call)
    }
    if (nextUrl.origin === this.origin) return nextUrl.href
    if (nextUrl.hostname.toLowerCase() !== new URL(this.origin).hostname.toLowerCase()) {
      throw new StoktError(
        `${call}: the next link points to another origin ${nextUrl.origin}; refusing to send the token there (Stokt is ${this.origin})`,
        call,
      )
    }
    return new URL(`${nextUrl.pathname}${nextUrl.search}`, this.origin).href
  }

  private getJson(spec: {call: string; path: string; notFound: string}): Promise<unknown> {
    return this.request({
      call: spec.call,
      method: 'GET',
      url: `${this.baseUrl}${spec.path}`,
      authenticated: true,
      notFound: spec.notFound,
    })
  }

  /** Sends an authenticated call (logging in first if needed), retrying what is worth it; answers the JSON body. */
  private async request(spec: RequestSpec): Promise<unknown> {
    let reloggedIn = false
    // Bounded: at most one login of our own, and one more try if another call logged in meanwhile.
    for (let round = 1; ; round++) {
      const token = spec.authenticated ? await this.currentToken() : undefined
      const login = this.logins
      const response = await this.sendWithRetries(spec, token)
      if (response.statusCode === 401 && spec.authenticated) {
        // Another call has logged in again since this one was sent (or is doing so): use its token.
        if ((this.logins !== login || this.token !== token) && round < 3) continue
        // Concurrent calls share one new login: one whose token is refused too is not tried again.
        if (this.canLogIn() && !reloggedIn && login !== this.unprovenLogin && round < 3) {
          reloggedIn = true
          this.token = undefined
          continue
        }
        const why = this.canLogIn()
          ? `even after logging in again as ${this.username}`
          : 'check the token, or log in with a username and password instead'
        throw new StoktError(`Stokt refused the token (HTTP 401) on ${spec.call}, ${why}`, spec.call, 401)
      }
      if (login === this.unprovenLogin) this.unprovenLogin = undefined
      return this.jsonBody(response, spec)
    }
  }

  /** The token to send: the configured one, or one from logging in (once, shared by concurrent calls). */
  private async currentToken(): Promise<string> {
    if (this.token) return this.token
    this.pendingLogin ??= this.logIn().finally(() => {
      this.pendingLogin = undefined
    })
    return this.pendingLogin
  }

  private canLogIn(): boolean {
    return this.username !== undefined && this.password !== undefined
  }

  private async logIn(): Promise<string> {
    const call = 'POST /api/token-auth'
    if (!this.canLogIn()) throw new StoktError('Stokt needs a token, or a username and a password', call)
    const spec: RequestSpec = {
      call,
      method: 'POST',
      url: `${this.baseUrl}/api/token-auth`,
      form: {username: this.username!, password: this.password!},
      authenticated: false,
    }
    const response = await this.sendWithRetries(spec, undefined)
    if (response.statusCode === 400 || response.statusCode === 401) {
      throw new StoktError(`Stokt refused the credentials for ${this.username}`, call, response.statusCode)
    }
    const body = this.jsonBody(response, spec)
    const token = isRecord(body) ? body.token : undefined
    if (typeof token !== 'string' || token === '') {
      throw new StoktError(`${call}: Stokt's answer carries no token`, call, response.statusCode)
    }
    secrets.add(token)
    this.token = token
    this.logins++
    if (this.logins > 1) this.unprovenLogin = this.logins // only a 401 makes the client log in again
    return token
  }

  /**
   * Sends until a response that is not worth retrying (anything but 429 and 5xx) or until
   * attempts run out, then throws a StoktError naming the call and the last problem.
   */
  private async sendWithRetries(spec: RequestSpec, token: string | undefined): Promise<StoktResponse> {
    const attempts = 1 + Math.max(0, this.retries)
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.sendOnce(spec, token)
      let reason: string
      let retryAfterMs: number | undefined
      if (outcome.kind === 'response') {
        const status = outcome.response.statusCode
        if (status !== 429 && status < 500) return outcome.response
        reason = `HTTP ${status}`
        retryAfterMs = parseRetryAfter(outcome.response.headers['retry-after'])
        if (retryAfterMs !== undefined) reason += ` (Retry-After ${formatDuration(retryAfterMs)})`
      } else {
        reason = outcome.reason
        if (!outcome.retryable) {
          throw this.unreachableIf(outcome, new StoktError(`${spec.call} failed: ${reason}`, spec.call))
        }
      }
      // Closed: the run is over, and this request was cut by the close itself; no retry, no warning.
      if (this.closed) throw new StoktError(`${spec.call} was abandoned: the import stopped`, spec.call)
      if (attempt >= attempts) {
        const status = outcome.kind === 'response' ? outcome.response.statusCode : undefined
        const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`
        throw this.unreachableIf(outcome, new StoktError(`${spec.call} failed after ${tries}: ${this.redact(reason)}`, spec.call, status))
      }
      const delayMs = retryAfterMs !== undefined ? Math.min(retryAfterMs, this.maxRetryAfterMs) : this.backoffDelay(attempt)
      this.onRetry?.({call: spec.call, attempt, reason: this.redact(reason), delayMs})
      await sleep(delayMs)
    }
  }

  /**
   * One request, its body read as a stream of decompressed bytes (decoded from its charset later,
   * in jsonBody): past maxResponseBytes the request is destroyed, which stops the decompression
   * too, so a small gzip bomb can never expand in memory.
   */
  private sendOnce(spec: RequestSpec, token: string | undefined): Promise<Attempt> {
    return new Promise((resolve) => {
      const request = this.got.stream(spec.url, {
        method: spec.method,
        form: spec.form,
        headers: token ? {authorization: `Token ${token}`} : {},
      })
      const chunks: Buffer[] = []
      let size = 0
      let head: {statusCode: number; headers: IncomingHttpHeaders} | undefined
      request.on('response', (response: {statusCode: number; headers: IncomingHttpHeaders}) => {
        this.answeredOnce = true
        head = {statusCode: response.statusCode, headers: response.headers}
      })
      request.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size <= this.maxResponseBytes) return void chunks.push(chunk)
        request.destroy()
        chunks.length = 0
        const reason = `Stokt's answer (${this.redactedClip(spec.url)}) is larger than ${formatBytes(this.maxResponseBytes)}, the most the client reads`
        resolve({kind: 'failure', reason, retryable: false})
      })
      request.once('error', (error) => resolve(this.describeFailure(error)))
      request.once('end', () => {
        if (head === undefined) resolve({kind: 'failure', reason: 'no response', retryable: true})
        else resolve({kind: 'response', response: {...head, body: Buffer.concat(chunks, size)}})
      })
    })
  }

  /** Marked when Stokt has not answered once this run: then the URL or the network is more likely wrong than Stokt. */
  private unreachableIf(outcome: Attempt, error: StoktError): StoktError {
    error.unreachable = !this.answeredOnce && outcome.kind === 'failure' && outcome.unreachable === true
    return error
  }

  /** got's errors carry the request options (and so the token): keep only a plain description. */
  private describeFailure(error: unknown): Attempt {
    if (error instanceof TimeoutError) {
      return {kind: 'failure', reason: `timed out after ${formatDuration(this.timeoutMs)}`, retryable: true, unreachable: true}
    }
    const code = error instanceof RequestError ? error.code : (error as {code?: unknown})?.code
    if (code === 'ECONNRESET') return {kind: 'failure', reason: 'connection reset', retryable: true, unreachable: true}
    if (code === 'ECONNREFUSED') return {kind: 'failure', reason: 'connection refused', retryable: true, unreachable: true}
    if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) {
      return {kind: 'failure', reason: `network error ${code}`, retryable: true, unreachable: true}
    }
    const message = error instanceof Error ? error.message : String(error)
    const reason = this.redact(typeof code === 'string' ? `${code}: ${message}` : message)
    return {kind: 'failure', reason, retryable: false, unreachable: code === 'ENOTFOUND'}
  }

  /** The JSON body of a final response, or a StoktError saying what the response was instead. */
  private jsonBody(response: StoktResponse, spec: RequestSpec): unknown {
    const status = response.statusCode
    if (status === 404 && spec.notFound) {
      throw new StoktError(`${spec.notFound} (${spec.call}: HTTP 404)`, spec.call, 404)
    }
    const text = decodedBody(response)
    if (status < 200 || status > 299) {
      // A charset unknown here hides only the detail: the status says what went wrong.
      const detail = text === undefined ? undefined : errorDetail(text)
      const location = status >= 300 && status < 400 ? response.headers.location : undefined
      const redirect = location ? `, a redirect to ${this.redactedClip(location)} that the client does not follow` : ''
      throw new StoktError(
        `${spec.call} failed: HTTP ${status}${detail ? ` (${this.redactedClip(detail)})` : ''}${redirect}`,
        spec.call,
        status,
      )
    }
    const type = response.headers['content-type'] ?? 'no content type'
    if (text === undefined) {
      throw new StoktError(
        `${spec.call}: Stokt's answer is in a charset the client does not know (${this.redactedClip(type)})`,
        spec.call,
        status,
      )
    }
    try {
      return JSON.parse(withoutByteOrderMark(text)) as unknown
    } catch {
      throw new StoktError(
        `${spec.call}: Stokt's answer is not JSON (HTTP ${status}, ${this.redactedClip(type)}): ${this.redactedClip(text)}`,
        spec.call,
        status,
      )
    }
  }

  private backoffDelay(attempt: number): number {
    const exponential = this.retryBaseDelayMs * 2 ** (attempt - 1)
    const jitter = Math.random() * this.retryBaseDelayMs
    return Math.min(this.maxRetryDelayMs, Math.round(exponential + jitter))
  }

  /** Belt and braces: no message ever carries the token or the password, whatever the server echoes. */
  private redact(text: string): string {
    return secrets.mask(text)
  }

  /** Masked, then cut: cut first, a secret's remaining piece would no longer match it. */
  private redactedClip(text: string): string {
    return truncate(this.redact(text))
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * `Retry-After` as delay-seconds or an HTTP date, in ms; undefined when absent or invalid (a
 * negative number, say), so that the client's own backoff applies. Date.parse reads almost
 * anything ("-5" is a year), so a date must look like one: every HTTP date starts with its weekday.
 */
function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim()
  if (value === undefined || value === '') return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000)
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /i.test(value)) return undefined
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

/** DRF's `{"detail": "…"}` or `{"non_field_errors": […]}`, when the body has one. */
function errorDetail(body: string): string | undefined {
  try {
    const parsed = JSON.parse(withoutByteOrderMark(body)) as unknown
    if (isRecord(parsed)) {
      if (typeof parsed.detail === 'string') return parsed.detail
      if (Array.isArray(parsed.non_field_errors)) return parsed.non_field_errors.join(' ')
    }
  } catch {
    // not JSON: an HTML error page says nothing useful beyond the status
  }
  return undefined
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Number((bytes / 1024 / 1024).toFixed(1))} MiB` : `${bytes} bytes`
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`
}

function truncate(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim()
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine
}
