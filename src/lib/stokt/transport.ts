/** One request to Stokt, with its limits: the body's size, timeouts, retries, backoff and `Retry-After`. */
import http, {type IncomingHttpHeaders} from 'node:http'
import https from 'node:https'
import {setTimeout as sleep} from 'node:timers/promises'
import got, {RequestError, TimeoutError, type Got} from 'got'
import {secrets} from '../common/secrets.js'
import {StoktError} from './source.js'

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

export interface TransportOptions {
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
  /** The most bytes of one response, decompressed, that the client reads; default 64 MiB. */
  maxResponseBytes?: number
}

export interface RequestSpec {
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
export interface StoktResponse {
  statusCode: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** Retry-After and backoff are honoured, but no wait may stall a run for longer than this. */
const DEFAULT_MAX_RETRY_AFTER_MS = 60_000
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

/** The outcome of one attempt that the retry loop must decide about. */
type Attempt = {kind: 'response'; response: StoktResponse} | {kind: 'failure'; reason: string; retryable: boolean; unreachable?: boolean}

export class StoktTransport {
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

  constructor(options: TransportOptions) {
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.retries = options.retries ?? 4
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 500
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 30_000
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS
    this.onRetry = options.onRetry
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
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

  close(): void {
    this.closed = true
    this.httpAgent.destroy()
    this.httpsAgent.destroy()
  }

  /** Sends until a response not worth retrying (all but 429 and 5xx) or the last attempt, then throws naming the last problem. */
  async send(spec: RequestSpec, token: string | undefined): Promise<StoktResponse> {
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
        throw this.unreachableIf(outcome, new StoktError(`${spec.call} failed after ${tries}: ${redact(reason)}`, spec.call, status))
      }
      const delayMs = retryAfterMs !== undefined ? Math.min(retryAfterMs, this.maxRetryAfterMs) : this.backoffDelay(attempt)
      this.onRetry?.({call: spec.call, attempt, reason: redact(reason), delayMs})
      await sleep(delayMs)
    }
  }

  /**
   * One request, its body read as a stream of decompressed bytes: past maxResponseBytes the request
   * is destroyed, which stops the decompression too, so a small gzip bomb never expands in memory.
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
        const reason = `Stokt's answer (${redactedClip(spec.url)}) is larger than ${formatBytes(this.maxResponseBytes)}, the most the client reads`
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
    const reason = redact(typeof code === 'string' ? `${code}: ${message}` : message)
    return {kind: 'failure', reason, retryable: false, unreachable: code === 'ENOTFOUND'}
  }

  private backoffDelay(attempt: number): number {
    const exponential = this.retryBaseDelayMs * 2 ** (attempt - 1)
    const jitter = Math.random() * this.retryBaseDelayMs
    return Math.min(this.maxRetryDelayMs, Math.round(exponential + jitter))
  }
}

/** Belt and braces: no message ever carries the token or the password, whatever the server echoes. */
function redact(text: string): string {
  return secrets.mask(text)
}

/** Masked, then cut: cut first, a secret's remaining piece would no longer match it. */
export function redactedClip(text: string): string {
  return truncate(redact(text))
}

/**
 * `Retry-After` as seconds or an HTTP date, in ms; undefined when absent or invalid (backoff applies).
 * Date.parse reads almost anything ("-5" is a year): an HTTP date must start with its weekday.
 */
function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim()
  if (value === undefined || value === '') return undefined
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000)
  if (!/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /i.test(value)) return undefined
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
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
