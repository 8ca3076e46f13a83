import {afterEach, describe, expect, it} from 'vitest'
import {generateGym, DEFAULT_NOW} from './gymGenerator.js'
import {
  DEFAULT_PASSWORD,
  DEFAULT_TOKEN,
  DEFAULT_USERNAME,
  sendJson,
  startStoktServer,
  type StoktServer,
  type StoktServerOptions,
} from './stoktServer.js'

type Json = Record<string, unknown>
type ClimbsPage = {count: number; next: string | null; previous: string | null; results: Json[]}

const gym = generateGym()
const auth = {Authorization: `Token ${DEFAULT_TOKEN}`}

let server: StoktServer | undefined

async function start(options: Partial<StoktServerOptions> = {}): Promise<StoktServer> {
  server = await startStoktServer({gym, ...options})
  return server
}

afterEach(async () => {
  await server?.close()
  server = undefined
})

async function getJson(url: string, headers: Record<string, string> = auth): Promise<{status: number; body: any; response: Response}> {
  const response = await fetch(url, {headers})
  return {status: response.status, body: await response.json(), response}
}

/** Follows `next` from the first page, as a client must. */
async function allClimbs(origin: string, maxAge: number): Promise<{climbs: Json[]; pages: ClimbsPage[]}> {
  const pages: ClimbsPage[] = []
  let url: string | null = `${origin}/api/gyms/${gym.gymId}/climbs?max_age=${maxAge}`
  while (url) {
    const {status, body} = await getJson(url)
    expect(status).toBe(200)
    pages.push(body as ClimbsPage)
    url = (body as ClimbsPage).next
  }
  return {climbs: pages.flatMap((page) => page.results), pages}
}

describe('startStoktServer', () => {
  describe('token-auth', () => {
    it('answers a token for the right credentials, form-encoded', async () => {
      const {url} = await start()
      const response = await fetch(`${url}/api/token-auth`, {
        method: 'POST',
        body: new URLSearchParams({username: DEFAULT_USERNAME, password: DEFAULT_PASSWORD}),
      })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('application/json')
      expect(await response.json()).toEqual({token: DEFAULT_TOKEN})
    })

    it('answers 400 for wrong credentials', async () => {
      const {url} = await start({username: 'a@b.c', password: 'pw', token: 'tok'})
      const wrong = await fetch(`${url}/api/token-auth`, {
        method: 'POST',
        body: new URLSearchParams({username: 'a@b.c', password: 'nope'}),
      })
      expect(wrong.status).toBe(400)
      expect(await wrong.json()).toEqual({non_field_errors: ['Unable to log in with provided credentials.']})

      const right = await fetch(`${url}/api/token-auth`, {method: 'POST', body: new URLSearchParams({username: 'a@b.c', password: 'pw'})})
      expect(await right.json()).toEqual({token: 'tok'})
    })

    it('records the login body', async () => {
      const stokt = await start()
      await fetch(`${stokt.url}/api/token-auth`, {method: 'POST', body: new URLSearchParams({username: 'x é', password: 'y&z'})})
      const [request] = stokt.requests
      expect(request.method).toBe('POST')
      expect(request.path).toBe('/api/token-auth')
      expect(request.headers['content-type']).toContain('application/x-www-form-urlencoded')
      expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({username: 'x é', password: 'y&z'})
    })
  })

  describe('authentication', () => {
    it('answers 401 without a token, with a wrong one, or with the Bearer scheme', async () => {
      const {url} = await start()
      const attempts: Record<string, string>[] = [{}, {Authorization: 'Token wrong'}, {Authorization: `Bearer ${DEFAULT_TOKEN}`}]
      for (const headers of attempts) {
        const {status, body} = await getJson(`${url}/api/gyms/${gym.gymId}/summary`, headers)
        expect(status).toBe(401)
        expect(body).toEqual({detail: 'Invalid token.'})
      }
    })

    it('answers the user on /api/users/me', async () => {
      const {url} = await start()
      const {status, body} = await getJson(`${url}/api/users/me`)
      expect(status).toBe(200)
      expect(body.email).toBe(DEFAULT_USERNAME)
    })
  })

  describe('gym endpoints', () => {
    it('serves the summary, the walls and every face setup', async () => {
      const {url} = await start()
      expect((await getJson(`${url}/api/gyms/${gym.gymId}/summary`)).body).toEqual(gym.summary)
      expect((await getJson(`${url}/api/gyms/${gym.gymId}/walls`)).body).toEqual(gym.walls)
      for (const [faceId, setup] of gym.setups) {
        const {status, body, response} = await getJson(`${url}/api/faces/${faceId}/setup`)
        expect(status).toBe(200)
        expect(response.headers.get('content-type')).toBe('application/json')
        expect(body).toEqual(setup)
      }
    })

    it('answers 404 Not found for an unknown gym, face or path', async () => {
      const {url} = await start()
      const unknown = '00000000-0000-4000-8000-000000000000'
      for (const path of [
        `/api/gyms/${unknown}/summary`,
        `/api/gyms/${unknown}/walls`,
        `/api/gyms/${unknown}/climbs?max_age=9999`,
        `/api/faces/${unknown}/setup`,
        '/api/nothing-here',
      ]) {
        const {status, body} = await getJson(`${url}${path}`)
        expect(status, path).toBe(404)
        expect(body).toEqual({detail: 'Not found.'})
      }
    })
  })

  describe('climbs', () => {
    it('pages with absolute next links until every climb is collected, in order', async () => {
      const {url} = await start({pageSize: 25})
      const {climbs, pages} = await allClimbs(url, 9999)
      expect(pages).toHaveLength(Math.ceil(gym.climbs.length / 25))
      expect(climbs).toEqual(gym.climbs)
      for (const page of pages) expect(page.count).toBe(gym.climbs.length)

      expect(pages[0].previous).toBeNull()
      expect(pages[0].next).toBe(`${url}/api/gyms/${gym.gymId}/climbs?max_age=9999&page=2`)
      expect(pages[1].previous).toBe(`${url}/api/gyms/${gym.gymId}/climbs?max_age=9999`)
      expect(pages[2].previous).toBe(`${url}/api/gyms/${gym.gymId}/climbs?max_age=9999&page=2`)
      expect(pages.at(-1)!.next).toBeNull()
    })

    it('answers 404 Invalid page past the end, or for a page that is not a number', async () => {
      const {url} = await start({pageSize: 50})
      for (const page of ['4', '0', 'abc']) {
        const {status, body} = await getJson(`${url}/api/gyms/${gym.gymId}/climbs?max_age=9999&page=${page}`)
        expect(status, page).toBe(404)
        expect(body).toEqual({detail: 'Invalid page.'})
      }
      expect((await getJson(`${url}/api/gyms/${gym.gymId}/climbs?max_age=9999&page=3`)).status).toBe(200)
    })

    it('keeps only climbs created within max_age days of now', async () => {
      const {url} = await start({pageSize: 10})
      for (const maxAge of [0, 30, 365, 700]) {
        const cutoff = DEFAULT_NOW.getTime() - maxAge * 86_400_000
        const expected = gym.climbs.filter((climb) => Date.parse(climb.dateCreated as string) >= cutoff)
        const {climbs, pages} = await allClimbs(url, maxAge)
        expect(climbs, `max_age=${maxAge}`).toEqual(expected)
        expect(pages[0].count).toBe(expected.length)
        for (const page of pages.slice(0, -1)) expect(page.next).toContain(`max_age=${maxAge}`)
      }
      expect((await allClimbs(url, 365)).climbs.length).toBeLessThan(gym.climbs.length)
    })

    it('serves an empty first page when nothing matches', async () => {
      const {url} = await start({now: new Date('2040-01-01T00:00:00Z')})
      const {body} = await getJson(`${url}/api/gyms/${gym.gymId}/climbs?max_age=30`)
      expect(body).toEqual({count: 0, next: null, previous: null, results: []})
    })

    it('requires an integer max_age', async () => {
      const {url} = await start()
      for (const query of ['', '?max_age=', '?max_age=ten']) {
        expect((await getJson(`${url}/api/gyms/${gym.gymId}/climbs${query}`)).status, query).toBe(400)
      }
    })

    it('sees climbs added while paging, and a swapped gym', async () => {
      const changing = generateGym({seed: 4, climbs: 30})
      const stokt = await start({gym: changing, pageSize: 10})
      const first = (await getJson(`${stokt.url}/api/gyms/${changing.gymId}/climbs?max_age=9999`)).body as ClimbsPage
      changing.climbs.unshift({...changing.climbs[0], id: '11111111-1111-4111-8111-111111111111'})
      const second = (await getJson(first.next!)).body as ClimbsPage
      expect(second.count).toBe(31)
      expect(second.results[0].id).toBe(first.results[9].id) // pushed down one place

      const other = generateGym({seed: 8, climbs: 5})
      stokt.setGym(other)
      expect((await getJson(`${stokt.url}/api/gyms/${changing.gymId}/summary`)).status).toBe(404)
      expect((await getJson(`${stokt.url}/api/gyms/${other.gymId}/climbs?max_age=9999`)).body.count).toBe(5)
    })
  })

  describe('test hooks', () => {
    it('records every request in order, with its query and headers', async () => {
      const stokt = await start()
      await getJson(`${stokt.url}/api/gyms/${gym.gymId}/summary`)
      await getJson(`${stokt.url}/api/gyms/${gym.gymId}/climbs?max_age=7&page=1`)
      expect(stokt.requests.map((request) => request.path)).toEqual([`/api/gyms/${gym.gymId}/summary`, `/api/gyms/${gym.gymId}/climbs`])
      expect(stokt.requests[1].query.get('max_age')).toBe('7')
      expect(stokt.requests[1].headers.authorization).toBe(`Token ${DEFAULT_TOKEN}`)
    })

    it('lets intercept answer first, and falls through when it returns false', async () => {
      let failuresLeft = 2
      const stokt = await start({
        intercept: async (request, res) => {
          if (request.path.endsWith('/walls') && failuresLeft > 0) {
            failuresLeft--
            sendJson(res, 503, {detail: 'Service unavailable'})
            return true
          }
          return false
        },
      })
      const walls = `${stokt.url}/api/gyms/${gym.gymId}/walls`
      expect((await getJson(walls)).status).toBe(503)
      expect((await getJson(walls)).status).toBe(503)
      expect((await getJson(walls)).body).toEqual(gym.walls)
      expect(stokt.requests).toHaveLength(3)
    })

    it('answers 500 when intercept throws, without crashing', async () => {
      const stokt = await start({
        intercept: () => {
          throw new Error('boom')
        },
      })
      const {status} = await getJson(`${stokt.url}/api/users/me`)
      expect(status).toBe(500)
    })

    it('delays every response by latencyMs', async () => {
      const stokt = await start({latencyMs: 60})
      const started = performance.now()
      await getJson(`${stokt.url}/api/users/me`)
      expect(performance.now() - started).toBeGreaterThanOrEqual(55)
    })
  })

  describe('close', () => {
    const smallGym = generateGym({seed: 6, climbs: 10})

    it('ends in-flight slow responses promptly', async () => {
      const stokt = await startStoktServer({gym: smallGym, latencyMs: 5_000})
      const slow = fetch(`${stokt.url}/api/users/me`, {headers: auth}).catch((error: unknown) => error)
      await new Promise((resolve) => setTimeout(resolve, 50))
      const started = performance.now()
      await stokt.close()
      expect(performance.now() - started).toBeLessThan(1_000)
      expect(await slow).toBeInstanceOf(Error)
      await stokt.close() // idempotent
    })

    it('ends keep-alive sockets promptly', async () => {
      const stokt = await startStoktServer({gym: smallGym})
      await getJson(`${stokt.url}/api/users/me`)
      const started = performance.now()
      await stokt.close()
      expect(performance.now() - started).toBeLessThan(1_000)
      await expect(fetch(`${stokt.url}/api/users/me`)).rejects.toThrow()
    })
  })
})
