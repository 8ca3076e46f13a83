import http from 'node:http'
import https from 'node:https'
import {setTimeout as sleep} from 'node:timers/promises'
import got, {RequestError, TimeoutError, type Got, type Response} from 'got'
import {ClimbsPageSchema, type ClimbsPageEnvelope} from './schema/climbsPage.js'
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
}

/** Retry-After and backoff are honoured, but no wait may stall a run for longer than this. */
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000
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

/** The outcome of one attempt that the retry loop must decide about. */
type Attempt =
  | {kind: 'response'; response: Response<string>}
  | {kind: 'failure'; reason: string; retryable: boolean}

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
  private readonly httpAgent = new http.Agent({keepAlive: true})
  private readonly httpsAgent = new https.Agent({keepAlive: true})
  private readonly got: Got

  private token?: string
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
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.retries = options.retries ?? 4
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 500
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS
    this.onRetry = options.onRetry
    this.got = got.extend({
      // The retry loop, redirects and status handling are ours: got only sends one request.
      retry: {limit: 0},
      throwHttpErrors: false,
      // A redirect could carry the token to another host; Stokt's API does not redirect.
      followRedirect: false,
      responseType: 'text',
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

  async *climbPages(gymId: string, maxAge: number): AsyncGenerator<ClimbsPage> {
    const path = `/api/gyms/${encodeURIComponent(gymId)}/climbs`
    let url: string | null = `${this.baseUrl}${path}?max_age=${encodeURIComponent(String(maxAge))}`
    const visited = new Set<string>()
    for (let page = 1; url !== null; page++) {
      const call = `GET ${path} page ${page}`
      if (visited.has(url)) {
        throw new StoktError(`${call}: the previous page's next link repeats an earlier page; stopping`, call)
      }
      visited.add(url)
      const body = await this.request({
        call,
        method: 'GET',
        url,
        authenticated: true,
        notFound: page === 1 ? `Stokt has no gym ${gymId}` : undefined,
      })
      const envelope = parsePageEnvelope(body, call)
      yield {page, count: envelope.count, results: envelope.results}
      url = envelope.next === null ? null : this.checkedNextUrl(envelope.next, call)
    }
  }

  async close(): Promise<void> {
    this.httpAgent.destroy()
    this.httpsAgent.destroy()
  }

  /**
   * A page's `next`, if it may receive the token. Only Stokt's own host may: a link to it with
   * another scheme or port (a proxy in front of Django builds `http://` links) is taken onto the
   * configured origin, path and query kept; a link to any other host is refused.
   */
  private checkedNextUrl(next: string, call: string): string {
    let nextUrl: URL
    try {
      nextUrl = new URL(next, `${this.origin}/`)
    } catch {
      throw new StoktError(`${call}: the next link is not a URL: ${truncate(next)}`, call)
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
      const response = await this.sendWithRetries(spec, token)
      if (response.statusCode === 401 && spec.authenticated) {
        if (this.token !== token && round < 3) continue // another call has logged in again meanwhile
        if (this.canLogIn() && !reloggedIn && round < 3) {
          reloggedIn = true
          this.token = undefined
          continue
        }
        const why = this.canLogIn()
          ? `even after logging in again as ${this.username}`
          : 'check the token, or log in with a username and password instead'
        throw new StoktError(`Stokt refused the token (HTTP 401) on ${spec.call}, ${why}`, spec.call, 401)
      }
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
    this.token = token
    return token
  }

  /**
   * Sends until a response that is not worth retrying (anything but 429 and 5xx) or until
   * attempts run out, then throws a StoktError naming the call and the last problem.
   */
  private async sendWithRetries(spec: RequestSpec, token: string | undefined): Promise<Response<string>> {
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
          throw new StoktError(`${spec.call} failed: ${reason}`, spec.call)
        }
      }
      if (attempt >= attempts) {
        const status = outcome.kind === 'response' ? outcome.response.statusCode : undefined
        const tries = attempts === 1 ? '1 attempt' : `${attempts} attempts`
        throw new StoktError(`${spec.call} failed after ${tries}: ${this.redact(reason)}`, spec.call, status)
      }
      const delayMs =
        retryAfterMs !== undefined ? Math.min(retryAfterMs, this.maxRetryAfterMs) : this.backoffDelay(attempt)
      this.onRetry?.({call: spec.call, attempt, reason: this.redact(reason), delayMs})
      await sleep(delayMs)
    }
  }

  private async sendOnce(spec: RequestSpec, token: string | undefined): Promise<Attempt> {
    try {
      const response = await this.got(spec.url, {
        method: spec.method,
        form: spec.form,
        headers: token ? {authorization: `Token ${token}`} : {},
      })
      return {kind: 'response', response}
    } catch (error) {
      return this.describeFailure(error)
    }
  }

  /** got's errors carry the request options (and so the token): keep only a plain description. */
  private describeFailure(error: unknown): Attempt {
    if (error instanceof TimeoutError) {
      return {kind: 'failure', reason: `timed out after ${formatDuration(this.timeoutMs)}`, retryable: true}
    }
    const code = error instanceof RequestError ? error.code : (error as {code?: unknown})?.code
    if (code === 'ECONNRESET') return {kind: 'failure', reason: 'connection reset', retryable: true}
    if (code === 'ECONNREFUSED') return {kind: 'failure', reason: 'connection refused', retryable: true}
    if (typeof code === 'string' && RETRYABLE_NETWORK_CODES.has(code)) {
      return {kind: 'failure', reason: `network error ${code}`, retryable: true}
    }
    const message = error instanceof Error ? error.message : String(error)
    return {kind: 'failure', reason: this.redact(typeof code === 'string' ? `${code}: ${message}` : message), retryable: false}
  }

  /** The JSON body of a final response, or a StoktError saying what the response was instead. */
  private jsonBody(response: Response<string>, spec: RequestSpec): unknown {
    const status = response.statusCode
    if (status === 404 && spec.notFound) {
      throw new StoktError(`${spec.notFound} (${spec.call}: HTTP 404)`, spec.call, 404)
    }
    if (status < 200 || status > 299) {
      const detail = errorDetail(response.body)
      const location = status >= 300 && status < 400 ? redirectTarget(response) : ''
      throw new StoktError(
        `${spec.call} failed: HTTP ${status}${detail ? ` (${this.redact(detail)})` : ''}${location}`,
        spec.call,
        status,
      )
    }
    try {
      return JSON.parse(response.body) as unknown
    } catch {
      const type = response.headers['content-type'] ?? 'no content type'
      throw new StoktError(
        `${spec.call}: Stokt's answer is not JSON (HTTP ${status}, ${type}): ${this.redact(truncate(response.body))}`,
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
    let redacted = text
    for (const secret of [this.token, this.password]) {
      if (secret) redacted = redacted.split(secret).join('***')
    }
    return redacted
  }
}

function parsePageEnvelope(body: unknown, call: string): ClimbsPageEnvelope {
  if (!isRecord(body)) {
    const what = Array.isArray(body) ? 'an array' : `a ${body === null ? 'null' : typeof body}`
    throw new StoktError(`${call}: Stokt's answer is not a page of climbs ({count, next, results: []}): ${what}`, call)
  }
  const parsed = ClimbsPageSchema.safeParse(body)
  if (!parsed.success) {
    const what = parsed.error.issues[0]?.message ?? 'unreadable'
    throw new StoktError(`${call}: Stokt's answer is not a page of climbs ({count, next, results: []}): ${what}`, call)
  }
  return parsed.data
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms; undefined when absent or unreadable. */
function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined || value.trim() === '') return undefined
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.round(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

/** DRF's `{"detail": "…"}` or `{"non_field_errors": […]}`, when the body has one. */
function errorDetail(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as unknown
    if (isRecord(parsed)) {
      if (typeof parsed.detail === 'string') return truncate(parsed.detail)
      if (Array.isArray(parsed.non_field_errors)) return truncate(parsed.non_field_errors.join(' '))
    }
  } catch {
    // not JSON: an HTML error page says nothing useful beyond the status
  }
  return undefined
}

function redirectTarget(response: Response<string>): string {
  const location = response.headers.location
  return location ? `, a redirect to ${truncate(location)} that the client does not follow` : ''
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`
}

function truncate(text: string, max = 200): string {
  const oneLine = text.replace(/\s+/g, ' ').trim()
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine
}
