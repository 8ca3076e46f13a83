import http from 'node:http'
import type {AddressInfo} from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'
import {gzipSync} from 'node:zlib'
import {afterEach, describe, expect, it, vi} from 'vitest'
import {StoktClient, type RetryInfo, type StoktClientOptions} from '../../../src/lib/stokt/client.js'
import {StoktError, type ClimbsPage} from '../../../src/lib/stokt/source.js'
import {generateGym} from '../../support/gymGenerator.js'
import {DEFAULT_TOKEN, startStoktServer, type RecordedRequest, type StoktServer} from '../../support/stoktServer.js'

const USERNAME = 'setter@example.com'
const PASSWORD = 'correct horse'

const gym = generateGym({seed: 7, faces: 2, holdsPerFace: 20, climbs: 60, setters: 5})

/** Everything started by a test, closed after it whatever happens. */
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function serve(options: Partial<Parameters<typeof startStoktServer>[0]> = {}): Promise<StoktServer> {
  const server = await startStoktServer({gym, pageSize: 25, ...options})
  cleanups.push(() => server.close())
  return server
}

function clientFor(server: StoktServer, options: Partial<StoktClientOptions> = {}): StoktClient {
  const client = new StoktClient({
    baseUrl: server.url,
    username: USERNAME,
    password: PASSWORD,
    retryBaseDelayMs: 1,
    timeoutMs: 5_000,
    ...options,
  })
  cleanups.push(() => client.close())
  return client
}

async function allPages(pages: AsyncIterable<ClimbsPage>): Promise<ClimbsPage[]> {
  const collected: ClimbsPage[] = []
  for await (const page of pages) collected.push(page)
  return collected
}

async function failure(promise: Promise<unknown>): Promise<StoktError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(StoktError)
  return error as StoktError
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): true {
  res.writeHead(status, {'content-type': 'application/json', ...headers})
  res.end(JSON.stringify(body))
  return true
}

const apiCalls = (server: StoktServer) => server.requests.filter((request) => request.path !== '/api/token-auth')
const logins = (server: StoktServer) => server.requests.filter((request) => request.path === '/api/token-auth')
const isSummary = (request: RecordedRequest) => request.path === `/api/gyms/${gym.gymId}/summary`
const isWalls = (request: RecordedRequest) => request.path === `/api/gyms/${gym.gymId}/walls`
const isClimbs = (request: RecordedRequest) => request.path === `/api/gyms/${gym.gymId}/climbs`

describe('StoktClient authentication', () => {
  it('logs in once with the username and password, then sends the token on every call', async () => {
    const server = await serve()
    const client = clientFor(server)

    expect(await client.gymSummary(gym.gymId)).toEqual(gym.summary)
    expect(await client.walls(gym.gymId)).toEqual(gym.walls)

    const [login] = logins(server)
    expect(logins(server)).toHaveLength(1)
    expect(login.method).toBe('POST')
    expect(login.headers['content-type']).toMatch(/application\/x-www-form-urlencoded/)
    expect(Object.fromEntries(new URLSearchParams(login.body))).toEqual({username: USERNAME, password: PASSWORD})
    expect(apiCalls(server)).toHaveLength(2)
    for (const request of apiCalls(server)) {
      expect(request.headers.authorization).toBe(`Token ${DEFAULT_TOKEN}`)
      expect(request.headers.accept).toBe('application/json')
      expect(request.headers['user-agent']).toBe('mastoc-importer')
    }
  })

  it('logs in once even when the first calls run concurrently', async () => {
    const server = await serve({latencyMs: 20})
    const client = clientFor(server)
    const faceIds = [...gym.setups.keys()]

    const setups = await Promise.all(faceIds.map((faceId) => client.faceSetup(faceId)))

    expect(setups).toEqual(faceIds.map((faceId) => gym.setups.get(faceId)))
    expect(logins(server)).toHaveLength(1)
  })

  it('uses a bare token as is, without logging in', async () => {
    const server = await serve()
    const client = clientFor(server, {token: DEFAULT_TOKEN, username: undefined, password: undefined})

    await client.gymSummary(gym.gymId)

    expect(logins(server)).toHaveLength(0)
    expect(server.requests.map((request) => request.headers.authorization)).toEqual([`Token ${DEFAULT_TOKEN}`])
  })

  it('says the credentials were refused, naming the user but never the password', async () => {
    const server = await serve()
    const wrongPassword = 'hunter2-not-the-password'
    const client = clientFor(server, {password: wrongPassword})

    const error = await failure(client.gymSummary(gym.gymId))

    expect(error.message).toContain(`Stokt refused the credentials for ${USERNAME}`)
    expect(error.message).not.toContain(wrongPassword)
    expect(JSON.stringify(error)).not.toContain(wrongPassword)
    expect(apiCalls(server)).toHaveLength(0)
  })

  it('logs in again once after a 401 mid-run, then repeats the call', async () => {
    let refusedOnce = false
    const server = await serve({
      intercept: (request, res) => {
        if (!isWalls(request) || refusedOnce) return false
        refusedOnce = true
        return json(res, 401, {detail: 'Invalid token.'})
      },
    })
    const client = clientFor(server)

    await client.gymSummary(gym.gymId)
    expect(await client.walls(gym.gymId)).toEqual(gym.walls)

    expect(logins(server)).toHaveLength(2)
    expect(server.requests.filter(isWalls)).toHaveLength(2)
  })

  it('gives up after a second 401, having logged in again only once', async () => {
    const server = await serve({
      intercept: (request, res) => isWalls(request) && json(res, 401, {detail: 'Invalid token.'}),
    })
    const client = clientFor(server)

    const error = await failure(client.walls(gym.gymId))

    expect(error.message).toContain('Stokt refused the token (HTTP 401)')
    expect(error.message).toContain(`GET /api/gyms/${gym.gymId}/walls`)
    expect(error.message).not.toContain(DEFAULT_TOKEN)
    expect(error.message).not.toContain(PASSWORD)
    expect(error.status).toBe(401)
    expect(logins(server)).toHaveLength(2)
  })

  it('fails at once on a 401 with a bare token', async () => {
    const server = await serve()
    const badToken = 'not-a-valid-token-42'
    const client = clientFor(server, {token: badToken, username: undefined, password: undefined})

    const error = await failure(client.gymSummary(gym.gymId))

    expect(error.message).toContain('Stokt refused the token (HTTP 401)')
    expect(error.message).not.toContain(badToken)
    expect(server.requests).toHaveLength(1)
  })

  it('refuses to be built without a token or credentials', () => {
    expect(() => new StoktClient({baseUrl: 'http://127.0.0.1:1', username: USERNAME})).toThrow(StoktError)
  })

  it('refuses a base URL carrying a user name or password, without showing it', () => {
    const build = () => new StoktClient({baseUrl: 'http://someone:s3cret@127.0.0.1:1', token: DEFAULT_TOKEN})
    expect(build).toThrow('Stokt URL carries a user name or password; give them as username and password instead')
  })

  it.each([
    ['a query', 'http://127.0.0.1:1/?token=abc', "Stokt URL has a query or a fragment (?…, #…); give the site's address alone"],
    ['a fragment', 'http://127.0.0.1:1#api', "Stokt URL has a query or a fragment (?…, #…); give the site's address alone"],
    [
      '/api, as every call begins',
      'http://127.0.0.1:1/api/',
      'Stokt URL "http://127.0.0.1:1/api/" ends in /api; give the site\'s address without it',
    ],
  ])('refuses a base URL with %s, which the calls would be added after', (_, baseUrl, says) => {
    expect(() => new StoktClient({baseUrl, token: DEFAULT_TOKEN})).toThrow(says)
  })
})

describe('StoktClient calls', () => {
  it('serves the summary, walls and setups as received, with a trailing slash on the base URL', async () => {
    const server = await serve()
    const client = clientFor(server, {baseUrl: `${server.url}/`})

    expect(await client.gymSummary(gym.gymId)).toEqual(gym.summary)
    expect(await client.walls(gym.gymId)).toEqual(gym.walls)
    for (const [faceId, setup] of gym.setups) expect(await client.faceSetup(faceId)).toEqual(setup)
    expect(apiCalls(server).every((request) => !request.path.startsWith('//'))).toBe(true)
  })

  it('names the unknown gym or face on a 404', async () => {
    const server = await serve()
    const client = clientFor(server)

    expect((await failure(client.gymSummary('no-such-gym'))).message).toContain('Stokt has no gym no-such-gym')
    expect((await failure(client.faceSetup('no-such-face'))).message).toContain('Stokt has no face no-such-face')
    expect((await failure(allPages(client.climbPages('no-such-gym', 9999)))).message).toContain('Stokt has no gym no-such-gym')
  })

  it('reads a JSON body that begins with a byte order mark', async () => {
    const server = await serve({
      intercept: (request, res) => {
        if (!isSummary(request) && !(isClimbs(request) && request.query.get('page') === '2')) return false
        const body = isSummary(request)
          ? gym.summary
          : {count: gym.climbs.length, next: null, previous: null, results: gym.climbs.slice(25, 50)}
        res.writeHead(200, {'content-type': 'application/json'})
        res.end(`\ufeff${JSON.stringify(body)}`)
        return true
      },
    })
    const client = clientFor(server)

    expect(await client.gymSummary(gym.gymId)).toEqual(gym.summary)
    const pages = await allPages(client.climbPages(gym.gymId, 9999))
    expect(pages.flatMap((page) => page.results)).toEqual(gym.climbs.slice(0, 50))
  })

  it.each([
    {contentType: 'application/json; charset=iso-8859-1', name: 'Café Crème', encode: (text: string) => Buffer.from(text, 'latin1')},
    {
      contentType: 'application/json;charset=windows-1252',
      name: 'Café 200€',
      encode: (text: string) => Buffer.from(text.replace('€', '\x80'), 'latin1'),
    },
    {contentType: 'application/json; charset="UTF-16LE"', name: 'Grimpe “Ō” 200€', encode: (text: string) => Buffer.from(text, 'utf16le')},
  ])('decodes a body in the charset its Content-Type declares: $contentType', async ({contentType, name, encode}) => {
    // Only what the charset can say: the generated gym has names a single-byte charset cannot.
    const summary = {id: gym.gymId, displayName: name, locationString: 'Besançon, France', walls: []}
    const server = await serve({
      intercept: (request, res) => {
        if (!isSummary(request)) return false
        res.writeHead(200, {'content-type': contentType})
        res.end(encode(JSON.stringify(summary)))
        return true
      },
    })

    expect(await clientFor(server).gymSummary(gym.gymId)).toEqual(summary)
  })

  it('refuses a body in a charset it does not know, naming the call and the charset', async () => {
    const server = await serve({
      intercept: (request, res) =>
        isSummary(request) && json(res, 200, gym.summary, {'content-type': 'application/json; charset=x-no-such-charset'}),
    })

    const error = await failure(clientFor(server).gymSummary(gym.gymId))

    expect(error.message).toBe(
      `GET /api/gyms/${gym.gymId}/summary: Stokt's answer is in a charset the client does not know (application/json; charset=x-no-such-charset)`,
    )
  })

  it('rejects a body that is not JSON, naming the call', async () => {
    const server = await serve({
      intercept: (request, res) => {
        if (!isSummary(request)) return false
        res.writeHead(200, {'content-type': 'text/html'})
        res.end('<html>Maintenance</html>')
        return true
      },
    })
    const client = clientFor(server)

    const error = await failure(client.gymSummary(gym.gymId))

    expect(error.message).toContain(`GET /api/gyms/${gym.gymId}/summary`)
    expect(error.message).toContain('not JSON')
  })
})

describe('StoktClient climb pages', () => {
  it('follows next through every page, yielding each as it arrives', async () => {
    const server = await serve()
    const client = clientFor(server)

    const pages = await allPages(client.climbPages(gym.gymId, 9999))

    expect(pages.map((page) => page.page)).toEqual([1, 2, 3])
    expect(pages.map((page) => page.results.length)).toEqual([25, 25, 10])
    expect(pages.every((page) => page.count === gym.climbs.length)).toBe(true)
    expect(pages.flatMap((page) => page.results)).toEqual(gym.climbs)
    const climbCalls = server.requests.filter(isClimbs)
    expect(climbCalls[0].query.get('max_age')).toBe('9999')
    expect(climbCalls).toHaveLength(3)
  })

  it('passes max_age to the server', async () => {
    const server = await serve()
    const client = clientFor(server)

    await allPages(client.climbPages(gym.gymId, 30))

    expect(server.requests.filter(isClimbs)[0].query.get('max_age')).toBe('30')
  })

  describe.each([
    {stokt: 'honours page_size', server: {honourPageSize: true}, sizes: [40, 20]},
    {stokt: 'ignores page_size', server: {}, sizes: [25, 25, 10]},
    {stokt: 'caps page_size at 30', server: {honourPageSize: true, maxPageSize: 30}, sizes: [30, 30]},
  ])('asking for 40 climbs a page when Stokt $stokt', ({server: behaviour, sizes}) => {
    it('reads every climb once, in pages as served, following next as served', async () => {
      const server = await serve(behaviour)
      const client = clientFor(server, {pageSize: 40})

      const pages = await allPages(client.climbPages(gym.gymId, 9999))

      expect(pages.map((page) => page.results.length)).toEqual(sizes)
      expect(pages.flatMap((page) => page.results)).toEqual(gym.climbs)
      const climbCalls = server.requests.filter(isClimbs)
      expect(climbCalls).toHaveLength(sizes.length)
      // Asked on the first page; the next links carry it on, as the server wrote them.
      expect(climbCalls.map((request) => request.query.get('page_size'))).toEqual(sizes.map(() => '40'))
    })

    it('with climbs created meanwhile, still reads every climb, and reads the list again', async () => {
      const newClimbs = gym.climbs.slice(0, 3).map((climb, index) => ({...climb, id: `new-${index}`}))
      const drifting = {...gym, climbs: [...gym.climbs]}
      let drifted = false
      const server = await serve({
        ...behaviour,
        gym: drifting,
        // Once page 2 is asked for, three climbs are created: the list moves down under the walk.
        intercept: (request) => {
          if (!drifted && isClimbs(request) && request.query.get('page') === '2') {
            drifted = true
            drifting.climbs.unshift(...newClimbs)
          }
          return false
        },
      })
      const client = clientFor(server, {pageSize: 40})

      const pages = await allPages(client.climbPages(gym.gymId, 9999))

      const ids = new Set(pages.flatMap((page) => page.results.map((climb) => (climb as {id: string}).id)))
      for (const climb of gym.climbs) expect(ids.has(climb.id as string)).toBe(true)
      expect(pages.at(-1)?.count).toBe(gym.climbs.length + 3)
    })
  })

  it('rejects a page that is not {count, next, results: []}, naming the page', async () => {
    const server = await serve({
      intercept: (request, res) => isClimbs(request) && json(res, 200, {count: 3, next: null, results: 'oops'}),
    })
    const client = clientFor(server)

    const error = await failure(allPages(client.climbPages(gym.gymId, 9999)))

    expect(error.message).toContain(`GET /api/gyms/${gym.gymId}/climbs page 1`)
    expect(error.message).toContain('{count, next, results: []}')
  })

  it('says a page whose count is 1e400 has a count out of range', async () => {
    const server = await serve({
      intercept: (request, res) => {
        if (!isClimbs(request)) return false
        res.writeHead(200, {'content-type': 'application/json'})
        res.end('{"count": 1e400, "next": null, "results": []}')
        return true
      },
    })

    const error = await failure(allPages(clientFor(server).climbPages(gym.gymId, 9999)))

    expect(error.message).toBe(
      `GET /api/gyms/${gym.gymId}/climbs page 1: Stokt's answer is not a page of climbs ({count, next, results: []}): count is out of range: too large a number`,
    )
  })

  it('refuses a next link to another origin and never sends the token there', async () => {
    const elsewhere: http.IncomingMessage[] = []
    const trap = http.createServer((request, res) => {
      elsewhere.push(request)
      res.writeHead(200, {'content-type': 'application/json'})
      res.end(JSON.stringify({count: 0, next: null, previous: null, results: []}))
    })
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.2', resolve))
    cleanups.push(() => new Promise<void>((resolve) => trap.close(() => resolve())))
    const trapOrigin = `http://127.0.0.2:${(trap.address() as AddressInfo).port}`

    const server = await serve({
      intercept: (request, res) => {
        if (!isClimbs(request) || request.query.has('page')) return false
        return json(res, 200, {
          count: gym.climbs.length,
          next: `${trapOrigin}/api/gyms/${gym.gymId}/climbs?max_age=9999&page=2`,
          previous: null,
          results: gym.climbs.slice(0, 25),
        })
      },
    })
    const client = clientFor(server)
    const received: ClimbsPage[] = []

    const error = await failure(
      (async () => {
        for await (const page of client.climbPages(gym.gymId, 9999)) received.push(page)
      })(),
    )

    expect(error.message).toContain(`next link points to another origin ${trapOrigin}`)
    expect(error.message).toContain('refusing to send the token there')
    expect(received.map((page) => page.page)).toEqual([1])
    expect(elsewhere).toHaveLength(0)
    expect(server.requests.filter((request) => request.headers.authorization)).toHaveLength(1)
  })
  it.each([
    {what: 'another scheme', next: () => 'file:///etc/passwd', says: 'the next link is not an http(s) URL (file:); refusing to follow it'},
    {
      what: "a user name and password on Stokt's own host",
      next: (origin: string) => `${origin.replace('//', '//intruder:s3cret@')}/api/gyms/${gym.gymId}/climbs?max_age=9999&page=2`,
      says: 'the next link carries a user name or password; refusing to follow it',
    },
  ])('refuses a next link with $what, sending nothing more', async ({next, says}) => {
    const server = await serve({
      intercept: (request, res) => {
        if (!isClimbs(request) || request.query.has('page')) return false
        return json(res, 200, {count: gym.climbs.length, next: next(server.url), previous: null, results: gym.climbs.slice(0, 25)})
      },
    })
    const received: number[] = []

    const error = await failure(
      (async () => {
        for await (const page of clientFor(server).climbPages(gym.gymId, 9999)) received.push(page.page)
      })(),
    )

    expect(error.message).toBe(`GET /api/gyms/${gym.gymId}/climbs page 1: ${says}`)
    expect(error.message).not.toContain('s3cret')
    expect(received).toEqual([1])
    expect(apiCalls(server)).toHaveLength(1)
  })

  it.each(['?max_age=9999&page=2', 'climbs?max_age=9999&page=2'])(
    'follows a relative next link (%s) from the page it came from',
    async (relativeNext) => {
      const server = await serve({
        intercept: (request, res) => {
          if (!isClimbs(request) || request.query.has('page')) return false
          return json(res, 200, {count: gym.climbs.length, next: relativeNext, previous: null, results: gym.climbs.slice(0, 25)})
        },
      })

      const pages = await allPages(clientFor(server).climbPages(gym.gymId, 9999))

      expect(pages.flatMap((page) => page.results)).toEqual(gym.climbs)
      // Pages 2 and 3 are asked for together (ahead): their order of arrival is not the test's business.
      expect(
        apiCalls(server)
          .map((request) => `${request.path}?${request.query}`)
          .sort(),
      ).toEqual(['max_age=9999', 'max_age=9999&page=2', 'max_age=9999&page=3'].map((query) => `/api/gyms/${gym.gymId}/climbs?${query}`))
    },
  )

  it('takes a next link to its own host on another scheme or port onto the configured origin', async () => {
    const elsewhere: http.IncomingMessage[] = []
    const trap = http.createServer((request, res) => {
      elsewhere.push(request)
      res.writeHead(500)
      res.end()
    })
    await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => trap.close(() => resolve())))
    const sameHostOtherPort = `http://127.0.0.1:${(trap.address() as AddressInfo).port}`

    const server = await serve({
      intercept: (request, res) => {
        if (!isClimbs(request) || request.query.has('page')) return false
        return json(res, 200, {
          count: gym.climbs.length,
          next: `${sameHostOtherPort}/api/gyms/${gym.gymId}/climbs?max_age=9999&page=2`,
          previous: null,
          results: gym.climbs.slice(0, 25),
        })
      },
    })
    const client = clientFor(server)
    const ids: unknown[] = []
    for await (const page of client.climbPages(gym.gymId, 9999)) ids.push(...page.results.map((climb) => (climb as {id: unknown}).id))

    expect(ids).toEqual(gym.climbs.map((climb) => climb.id))
    expect(elsewhere).toHaveLength(0)
  })
})

describe('StoktClient walks that would not end', () => {
  /** Pages the test server serves at most: then it ends the list, so that a client that never stops still finishes. */
  const SAFETY_STOP = 200

  const walkUntilFailure = async (client: StoktClient) => {
    const received: number[] = []
    const error = await failure(
      (async () => {
        for await (const page of client.climbPages(gym.gymId, 9999)) received.push(page.page)
      })(),
    )
    return {error, received}
  }

  it('stops when the last page links back to page 1 with a query string that changes on every link', async () => {
    // A cache-buster on every next link: no two links are the same URL, and page 6 links to page 1.
    const lastPage = Math.ceil(gym.climbs.length / 10)
    let served = 0
    const server = await serve({
      intercept: (request, res) => {
        if (!isClimbs(request)) return false
        served += 1
        const page = Number(request.query.get('page') ?? '1')
        const nextPage = page < lastPage ? page + 1 : 1
        return json(res, 200, {
          count: gym.climbs.length,
          next: served < SAFETY_STOP ? `${server.url}${request.path}?max_age=9999&page=${nextPage}&_=${Math.random()}` : null,
          previous: null,
          results: gym.climbs.slice((page - 1) * 10, page * 10),
        })
      },
    })

    const {error, received} = await walkUntilFailure(clientFor(server, {concurrency: 1}))

    expect(error.message).toBe(`GET /api/gyms/${gym.gymId}/climbs page 7: the previous page's next link repeats an earlier page; stopping`)
    expect(received).toEqual([1, 2, 3, 4, 5, 6])
    expect(served).toBe(6)
  })

  it.each([
    {name: 'the same count on every page', countOf: () => 30, pagesServed: 16},
    // Counts trusted up to twice page 1's: 60 climbs, 6 pages, 2 × 6 + 10 pages at most.
    {name: 'a count that grows by a page with every page', countOf: (page: number) => 30 + 10 * (page - 1), pagesServed: 22},
  ])('stops a list whose next links never repeat and never end, with $name', async ({countOf, pagesServed}) => {
    // Cursor-style links, a new cursor each time; 30 climbs counted at 10 a page need 3 pages, and
    // a walk may take 2 × 3 + 10.
    let served = 0
    const server = await serve({
      intercept: (request, res) => {
        if (!isClimbs(request)) return false
        served += 1
        const start = ((served - 1) * 10) % gym.climbs.length
        return json(res, 200, {
          count: countOf(served),
          next: served < SAFETY_STOP ? `${server.url}${request.path}?max_age=9999&cursor=${Math.random()}` : null,
          previous: null,
          // Climbs not read before on every page: what a walk receives does not stop it first.
          results: gym.climbs.slice(start, start + 10).map((climb, index) => ({...climb, id: `${served}-${index}`})),
        })
      },
    })

    const {error, received} = await walkUntilFailure(clientFor(server))

    expect(error.message).toBe(
      `GET /api/gyms/${gym.gymId}/climbs page ${pagesServed + 1}: the next links have led through ${pagesServed} pages, ` +
        `far more than the ${countOf(pagesServed)} climbs counted need at 10 a page; stopping`,
    )
    expect(received).toEqual(Array.from({length: pagesServed}, (_, index) => index + 1))
    expect(served).toBe(pagesServed)
  })
})

describe('StoktClient walks bounded by what they receive', () => {
  /** Pages the test server serves at most: then it ends the list, so that a client that never stops still finishes. */
  const SAFETY_STOP = 200
  const TRILLION = 1e12

  /** Climbs pages announcing a trillion climbs, each linking on with a fresh cursor; `results` makes page n's climbs. */
  const serveEndless = (results: (served: number) => unknown[]) => {
    let served = 0
    const server = serve({
      intercept: (request, res) => {
        if (!isClimbs(request)) return false
        served += 1
        return json(res, 200, {
          count: TRILLION,
          next:
            served < SAFETY_STOP
              ? `${request.headers.host ? `http://${request.headers.host}` : ''}${request.path}?max_age=9999&cursor=${served}`
              : null,
          previous: null,
          results: results(served),
        })
      },
    })
    return {server, served: () => served}
  }

  const walkUntilFailure = async (client: StoktClient) => {
    const received: number[] = []
    const error = await failure(
      (async () => {
        for await (const page of client.climbPages(gym.gymId, 9999)) received.push(page.page)
      })(),
    )
    return {error, received}
  }

  it('stops after 10 pages in a row that bring no climb, whatever the count announced', async () => {
    const endless = serveEndless(() => [])

    const {error, received} = await walkUntilFailure(clientFor(await endless.server))

    expect(error.message).toBe(
      `GET /api/gyms/${gym.gymId}/climbs page 11: the last 10 pages brought no climb not already read, yet link to more; stopping`,
    )
    expect(received).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(endless.served()).toBe(10)
  })

  it('stops after 10 pages in a row that only repeat climbs already read', async () => {
    const endless = serveEndless((served) => gym.climbs.slice(0, served === 1 ? 10 : 5))

    const {error, received} = await walkUntilFailure(clientFor(await endless.server))

    expect(error.message).toContain('page 12: the last 10 pages brought no climb not already read')
    expect(received).toHaveLength(11)
  })

  it('stops past the most pages one walk reads, even when every page brings new climbs', async () => {
    const endless = serveEndless((served) => [{...gym.climbs[0], id: `00000000-0000-4000-8000-${String(served).padStart(12, '0')}`}])

    const {error, received} = await walkUntilFailure(clientFor(await endless.server, {maxPages: 25}))

    expect(error.message).toBe(
      `GET /api/gyms/${gym.gymId}/climbs page 26: the next links have led through 25 pages, the most one walk reads; stopping`,
    )
    expect(received).toHaveLength(25)
    expect(endless.served()).toBe(25)
  })
})

describe('StoktClient pages ahead', () => {
  const climbIds = (pages: ClimbsPage[]) => pages.flatMap((page) => page.results.map((climb) => (climb as {id: unknown}).id))

  /** A server of pages of 10 climbs, each answered after `delayMs`, counting the climbs requests in flight. */
  async function countingServer(delayMs: number) {
    const counts = {inFlight: 0, mostInFlight: 0, answered: 0}
    const server = await serve({
      pageSize: 10,
      intercept: async (request, res) => {
        if (!isClimbs(request)) return false
        counts.inFlight += 1
        counts.mostInFlight = Math.max(counts.mostInFlight, counts.inFlight)
        res.on('close', () => {
          counts.inFlight -= 1
          counts.answered += 1
        })
        await new Promise((resolve) => setTimeout(resolve, delayMs))
        return false
      },
    })
    return {server, counts}
  }

  it.each([1, 4])('keeps at most %i climb pages in flight, and serves every page once, in order', async (concurrency) => {
    const {server, counts} = await countingServer(20)
    const pages = await allPages(clientFor(server, {concurrency}).climbPages(gym.gymId, 9999))

    expect(pages.map((page) => page.page)).toEqual(pages.map((_, index) => index + 1))
    expect(climbIds(pages)).toEqual(gym.climbs.map((climb) => climb.id))
    expect(counts.mostInFlight).toBe(concurrency)
    // Nothing fetched past the last page: the count bounds how far ahead it reads.
    expect(server.requests.filter(isClimbs)).toHaveLength(pages.length)
  })

  it("reads a batch's worth of climbs ahead while the importer works, still 2 pages in flight at most", async () => {
    const {server, counts} = await countingServer(5)
    const walk = clientFor(server, {concurrency: 2, climbsAhead: 50}).climbPages(gym.gymId, 9999)[Symbol.asyncIterator]()
    const first = await walk.next()

    // The importer holds page 1: the five pages of its 50 climbs ahead come in, two at a time, and no more.
    await vi.waitFor(() => expect(counts.answered).toBe(6), {timeout: 10_000})
    expect(server.requests.filter(isClimbs)).toHaveLength(6)
    expect(counts.mostInFlight).toBe(2)

    const pages = [first.value as ClimbsPage]
    for (let next = await walk.next(); !next.done; next = await walk.next()) pages.push(next.value)
    expect(climbIds(pages)).toEqual(gym.climbs.map((climb) => climb.id))
    expect(server.requests.filter(isClimbs)).toHaveLength(pages.length)
    expect(counts.mostInFlight).toBe(2)
  })

  it('follows next link by link when the pages are not numbered', async () => {
    // A cursor-style list: next carries an opaque cursor, not a page number.
    const server = await serve({
      intercept: (request, res) => {
        if (!isClimbs(request)) return false
        const start = Number(request.query.get('cursor') ?? 0)
        const results = gym.climbs.slice(start, start + 7)
        const more = start + 7 < gym.climbs.length
        return json(res, 200, {
          count: gym.climbs.length,
          next: more ? `${server.url}/api/gyms/${gym.gymId}/climbs?max_age=9999&cursor=${start + 7}` : null,
          previous: null,
          results,
        })
      },
    })
    const pages = await allPages(clientFor(server, {concurrency: 4}).climbPages(gym.gymId, 9999))
    expect(climbIds(pages)).toEqual(gym.climbs.map((climb) => climb.id))
    expect(server.requests.filter(isClimbs)).toHaveLength(Math.ceil(gym.climbs.length / 7))
  })
})

describe('StoktClient pages that vanish', () => {
  const climbIds = (pages: ClimbsPage[]) => pages.flatMap((page) => page.results.map((climb) => (climb as {id: unknown}).id))
  const pagesAsked = (server: StoktServer) => server.requests.filter(isClimbs).map((request) => request.query.get('page') ?? '1')

  it.each([1, 4])(
    'reads the list once more from page 1 when climbs deleted while paging make page 3 vanish (concurrency %i)',
    async (concurrency) => {
      const shrinking = generateGym({seed: 7, faces: 2, holdsPerFace: 20, climbs: 60, setters: 5})
      const before = shrinking.climbs.map((climb) => climb.id)
      // Page 3 is held until page 2 has been served from the 60 climbs; then the 10 newest climbs
      // are deleted, and 50 climbs make two pages: page 3, which page 2 links to, answers 404.
      let page2Served: () => void = () => {}
      const page2 = new Promise<void>((resolve) => (page2Served = resolve))
      let deleted = false
      const server = await serve({
        gym: shrinking,
        intercept: async (request) => {
          if (!isClimbs(request) || deleted) return false
          if (request.query.get('page') === '2') setImmediate(page2Served) // once the route below has answered it
          if (request.query.get('page') === '3') {
            await page2
            shrinking.climbs.splice(0, 10)
            deleted = true
          }
          return false
        },
      })

      const pages = await allPages(clientFor(server, {concurrency}).climbPages(shrinking.gymId, 9999))

      expect(pagesAsked(server)).toEqual(['1', '2', '3', '1', '2'])
      expect(pages.map((page) => [page.page, page.count, page.results.length])).toEqual([
        [1, 60, 25],
        [2, 60, 25],
        [3, 50, 25],
        [4, 50, 25],
      ])
      // The first walk's 50 climbs, then the 50 left, in order: every climb still listed is served.
      expect(climbIds(pages)).toEqual([...before.slice(0, 50), ...before.slice(10)])
    },
  )

  it('says what Stokt found wrong with a field, as Django REST framework answers it', async () => {
    const server = await serve({
      intercept: (request, res) =>
        isClimbs(request) && json(res, 400, {max_age: ['A valid integer is required.'], page_size: ['Too large.', 'At most 100.']}),
    })

    const error = await failure(allPages(clientFor(server).climbPages(gym.gymId, 9999)))

    expect(error.message).toBe(
      `GET /api/gyms/${gym.gymId}/climbs page 1 failed: HTTP 400 (max_age: A valid integer is required.; page_size: Too large. At most 100.)`,
    )
  })

  it('fails, naming the page, when the page vanishes again in the second walk', async () => {
    const server = await serve({
      intercept: (request, res) => isClimbs(request) && request.query.get('page') === '3' && json(res, 404, {detail: 'Invalid page.'}),
    })
    const received: number[] = []

    const error = await failure(
      (async () => {
        for await (const page of clientFor(server).climbPages(gym.gymId, 9999)) received.push(page.page)
      })(),
    )

    expect(error.message).toBe(`GET /api/gyms/${gym.gymId}/climbs page 3 failed: HTTP 404 (Invalid page.)`)
    expect(error.status).toBe(404)
    expect(received).toEqual([1, 2, 3, 4])
    expect(pagesAsked(server)).toEqual(['1', '2', '3', '1', '2', '3'])
  })
})

describe('StoktClient responses too large', () => {
  /**
   * 1 GiB of zeros as ~1 MB of gzip: one member of 1 MiB, repeated (a gzip stream may hold many
   * members, decompressed one after the other), so that building it takes no time.
   */
  const gzipBomb = (() => {
    const member = gzipSync(Buffer.alloc(1024 * 1024))
    return Buffer.concat(Array.from({length: 1024}, () => member))
  })()

  it('stops reading a gzip bomb past the limit, naming the URL and the limit, memory bounded', async () => {
    const server = await serve({
      intercept: (request, res) => {
        if (!isSummary(request)) return false
        res.writeHead(200, {'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(gzipBomb.length)})
        res.end(gzipBomb)
        return true
      },
    })
    const client = clientFor(server, {token: DEFAULT_TOKEN, maxResponseBytes: 8 * 1024 * 1024})
    const peakBefore = process.resourceUsage().maxRSS

    const error = await failure(client.gymSummary(gym.gymId))

    expect(error.message).toBe(
      `GET /api/gyms/${gym.gymId}/summary failed: Stokt's answer (${server.url}/api/gyms/${gym.gymId}/summary) is larger than 8 MiB, the most the client reads`,
    )
    // Not retried: the same answer would come again.
    expect(server.requests.filter(isSummary)).toHaveLength(1)
    // maxRSS is in KiB: decompressed whole, the answer would have added 1 GiB.
    expect(process.resourceUsage().maxRSS - peakBefore).toBeLessThan(200 * 1024)
  })

  it('stops reading a plain answer past the limit too', async () => {
    const server = await serve({
      intercept: (request, res) => {
        if (!isWalls(request)) return false
        res.writeHead(200, {'content-type': 'application/json'})
        res.end(`[${'0,'.repeat(600 * 1024)}0]`)
        return true
      },
    })

    const error = await failure(clientFor(server, {token: DEFAULT_TOKEN, maxResponseBytes: 1024 * 1024}).walls(gym.gymId))

    expect(error.message).toContain('is larger than 1 MiB, the most the client reads')
  })
})

describe('StoktClient retries', () => {
  it('retries a 503 with backoff, then succeeds', async () => {
    let failuresLeft = 2
    const server = await serve({
      intercept: (request, res) => isSummary(request) && failuresLeft-- > 0 && json(res, 503, {detail: 'busy'}),
    })
    const retries: RetryInfo[] = []
    const client = clientFor(server, {onRetry: (info) => retries.push(info)})

    expect(await client.gymSummary(gym.gymId)).toEqual(gym.summary)

    expect(server.requests.filter(isSummary)).toHaveLength(3)
    expect(retries.map(({attempt, reason, call}) => ({attempt, reason, call}))).toEqual([
      {attempt: 1, reason: 'HTTP 503', call: `GET /api/gyms/${gym.gymId}/summary`},
      {attempt: 2, reason: 'HTTP 503', call: `GET /api/gyms/${gym.gymId}/summary`},
    ])
  })

  it('waits as long as a 429 Retry-After asks', async () => {
    let limited = false
    const server = await serve({
      intercept: (request, res) => {
        if (!isWalls(request) || limited) return false
        limited = true
        return json(res, 429, {detail: 'Request was throttled.'}, {'retry-after': '1'})
      },
    })
    const retries: RetryInfo[] = []
    const client = clientFor(server, {onRetry: (info) => retries.push(info)})

    const started = Date.now()
    expect(await client.walls(gym.gymId)).toEqual(gym.walls)

    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(retries).toHaveLength(1)
    expect(retries[0].delayMs).toBe(1000)
    expect(retries[0].reason).toContain('HTTP 429')
  })

  it('honours a Retry-After given as an HTTP date', async () => {
    let limited = false
    const server = await serve({
      intercept: (request, res) => {
        if (!isWalls(request) || limited) return false
        limited = true
        return json(res, 429, {detail: 'Request was throttled.'}, {'retry-after': new Date(Date.now() + 10_000).toUTCString()})
      },
    })
    const retries: RetryInfo[] = []
    const client = clientFor(server, {maxRetryAfterMs: 50, onRetry: (info) => retries.push(info)})

    await client.walls(gym.gymId)

    // Some 10 s asked, capped to 50 ms.
    expect(retries.map((retry) => retry.delayMs)).toEqual([50])
    expect(retries[0].reason).toMatch(/^HTTP 429 \(Retry-After (9(\.\d)?|10) s\)$/)
  })

  it.each(['-5', '-1', '+5'])('ignores an invalid Retry-After (%s) and backs off on its own', async (retryAfter) => {
    let limited = false
    const server = await serve({
      intercept: (request, res) => {
        if (!isWalls(request) || limited) return false
        limited = true
        return json(res, 429, {detail: 'Request was throttled.'}, {'retry-after': retryAfter})
      },
    })
    const retries: RetryInfo[] = []
    const client = clientFor(server, {retryBaseDelayMs: 100, onRetry: (info) => retries.push(info)})

    expect(await client.walls(gym.gymId)).toEqual(gym.walls)

    // The first backoff: 100 ms plus up to 100 ms of jitter, not at once.
    expect(retries.map((retry) => retry.reason)).toEqual(['HTTP 429'])
    expect(retries[0].delayMs).toBeGreaterThanOrEqual(100)
    expect(retries[0].delayMs).toBeLessThanOrEqual(200)
  })

  it('caps a long Retry-After', async () => {
    let limited = false
    const server = await serve({
      intercept: (request, res) => {
        if (!isWalls(request) || limited) return false
        limited = true
        return json(res, 429, {detail: 'Request was throttled.'}, {'retry-after': '3600'})
      },
    })
    const retries: RetryInfo[] = []
    const client = clientFor(server, {maxRetryAfterMs: 20, onRetry: (info) => retries.push(info)})

    await client.walls(gym.gymId)

    expect(retries.map((retry) => retry.delayMs)).toEqual([20])
  })

  it('gives up after the retries, naming the call and the last problem', async () => {
    const server = await serve({
      intercept: (request, res) => isClimbs(request) && request.query.get('page') === '3' && json(res, 503, {}),
    })
    const client = clientFor(server, {retries: 2})
    const received: number[] = []

    const error = await failure(
      (async () => {
        for await (const page of client.climbPages(gym.gymId, 9999)) received.push(page.page)
      })(),
    )

    expect(received).toEqual([1, 2])
    expect(error.message).toContain(`GET /api/gyms/${gym.gymId}/climbs page 3`)
    expect(error.message).toContain('HTTP 503')
    expect(error.message).toContain('3 attempts')
    expect(error.status).toBe(503)
    expect(server.requests.filter((request) => request.query.get('page') === '3')).toHaveLength(3)
  })

  it('retries a timeout and says so when it persists', async () => {
    const server = await serve({
      intercept: async (request, res) => {
        if (!isSummary(request)) return false
        await sleep(300)
        if (!res.destroyed) json(res, 200, gym.summary)
        return true
      },
    })
    const client = clientFor(server, {timeoutMs: 100, retries: 1})

    const error = await failure(client.gymSummary(gym.gymId))

    expect(error.message).toContain(`GET /api/gyms/${gym.gymId}/summary failed after 2 attempts`)
    expect(error.message).toContain('timed out after 100 ms')
  })

  it('retries a connection reset', async () => {
    let resetsLeft = 1
    const server = await serve({
      intercept: (request, res) => {
        if (!isSummary(request) || resetsLeft-- <= 0) return false
        res.socket?.destroy()
        return true
      },
    })
    const retries: RetryInfo[] = []
    const client = clientFor(server, {onRetry: (info) => retries.push(info)})

    expect(await client.gymSummary(gym.gymId)).toEqual(gym.summary)
    expect(retries.map((retry) => retry.reason)).toEqual(['connection reset'])
  })

  it('names a persistent connection reset', async () => {
    const server = await serve({
      intercept: (request, res) => {
        if (!isSummary(request)) return false
        res.socket?.destroy()
        return true
      },
    })
    const client = clientFor(server, {retries: 0})

    const error = await failure(client.gymSummary(gym.gymId))

    expect(error.message).toBe(`GET /api/gyms/${gym.gymId}/summary failed after 1 attempt: connection reset`)
  })
})
