/** Stokt's endpoints, and the session they share: the token, logging in, and again after a 401. */
import {secrets} from '../common/secrets.js'
import {ClimbsPager} from './climbsPager.js'
import {isRecord, jsonBody} from './responseBody.js'
import {StoktError, type ClimbsPage, type StoktSource} from './source.js'
import {redactedClip, StoktTransport, type RequestSpec, type TransportOptions} from './transport.js'

export type {RetryInfo} from './transport.js'

export interface StoktClientOptions extends TransportOptions {
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
  /** `page_size` asked of the climbs list, as Stokt's app sends it; none by default. The pages are followed as served. */
  pageSize?: number
  /** The most climb pages one walk reads, whatever the links and counts say; default 50,000. */
  maxPages?: number
}

/** 1.5 million climbs at Stokt's 30 a page: fifteen times the largest gym measured. */
const DEFAULT_MAX_PAGES = 50_000

/** Talks to Stokt: login, the endpoints, the climbs list (climbsPager.ts), over one transport (transport.ts). */
export class StoktClient implements StoktSource {
  readonly description: string

  private readonly baseUrl: string
  private readonly origin: string
  private readonly username?: string
  private readonly password?: string
  private readonly transport: StoktTransport
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
    // Each call's path is added to the URL as given: a query would end up before it, and /api twice.
    if (parsed.search !== '' || parsed.hash !== '') {
      throw new StoktError(
        "Stokt URL has a query or a fragment (?…, #…); give the site's address alone, as https://www.sostokt.com",
        'configure',
      )
    }
    if (/\/api\/*$/i.test(parsed.pathname)) {
      throw new StoktError(
        `Stokt URL "${options.baseUrl}" ends in /api; give the site's address without it, as https://www.sostokt.com: the calls add /api/…`,
        'configure',
      )
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
    secrets.add(this.token, {stokt: true})
    secrets.add(this.password, {username: this.username, stokt: true})
    this.transport = new StoktTransport(options)
    this.pager = new ClimbsPager({
      request: (spec) => this.request(spec),
      baseUrl: this.baseUrl,
      pageSize: options.pageSize,
      concurrency: Math.max(1, options.concurrency ?? 4),
      climbsAhead: options.climbsAhead,
      maxPages: options.maxPages ?? DEFAULT_MAX_PAGES,
      checkedNextUrl: (next, fromPage, call) => this.checkedNextUrl(next, fromPage, call),
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
    this.transport.close()
  }

  /**
   * A page's `next`, if it may receive the token: only on Stokt's own host, taken onto the configured
   * origin (a proxy in front of Django builds `http://` links); any other host is refused.
   */
  private checkedNextUrl(next: string, fromPage: string, call: string): string {
    let nextUrl: URL
    try {
      nextUrl = new URL(next, fromPage)
    } catch {
      throw new StoktError(`${call}: the next link is not a URL: ${redactedClip(next)}`, call)
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
      const response = await this.transport.send(spec, token)
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
      return jsonBody(response, spec)
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
    const response = await this.transport.send(spec, undefined)
    if (response.statusCode === 400 || response.statusCode === 401) {
      throw new StoktError(`Stokt refused the credentials for ${this.username}`, call, response.statusCode)
    }
    const body = jsonBody(response, spec)
    const token = isRecord(body) ? body.token : undefined
    if (typeof token !== 'string' || token === '') {
      throw new StoktError(`${call}: Stokt's answer carries no token`, call, response.statusCode)
    }
    secrets.add(token, {stokt: true})
    this.token = token
    this.logins++
    if (this.logins > 1) this.unprovenLogin = this.logins // only a 401 makes the client log in again
    return token
  }
}
