/**
 * The bare-fetch floor, run as its own process like the CLI (so that, like the CLI, it does not
 * share the Stokt test server's thread): plain `fetch` + `JSON.parse` of what an `import all`
 * reads — the gym summary, its walls, every face setup, then every climbs page following `next` —
 * one request at a time. Prints one JSON line: {setupsMs, climbsMs, totalMs, cpuMs, holds, climbs, requests}
 * (cpuMs: the process's CPU time, user + system, over the fetch). With `--http`, the requests go
 * through node:http (a keep-alive agent) instead of `fetch`: the cheapest HTTP client Node has.
 *
 *   node --import tsx test/bench/fetchFloor.ts <stokt-url> <gym-id> [--http]   (token in STOKT_TOKEN)
 */
import http from 'node:http'

import {printFetched} from './fetchTimings.js'

const [baseUrl, gymId, clientFlag] = process.argv.slice(2)
const token = process.env.STOKT_TOKEN
if (!baseUrl || !gymId || !token) {
  console.error('usage: STOKT_TOKEN=… fetchFloor.ts <stokt-url> <gym-id>')
  process.exit(2)
}

const headers = {authorization: `Token ${token}`, accept: 'application/json'}
let requests = 0

const agent = new http.Agent({keepAlive: true})

async function getJson(url: string): Promise<unknown> {
  requests += 1
  const {status, body} = clientFlag === '--http' ? await getWithHttp(url) : await getWithFetch(url)
  if (status !== 200) throw new Error(`GET ${url}: HTTP ${status} ${body.slice(0, 200)}`)
  return JSON.parse(body)
}

async function getWithFetch(url: string): Promise<{status: number; body: string}> {
  const response = await fetch(url, {headers})
  return {status: response.status, body: await response.text()}
}

function getWithHttp(url: string): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    http
      .get(url, {agent, headers}, (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => resolve({status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8')}))
        response.on('error', reject)
      })
      .on('error', reject)
  })
}

type Walls = {faces: {id: string}[]}[]
type Setup = {holds: unknown[]}
type Page = {next: string | null; results: unknown[]}

const started = performance.now()
const cpuAtStart = process.cpuUsage()
await getJson(`${baseUrl}/api/gyms/${gymId}/summary`)
const walls = (await getJson(`${baseUrl}/api/gyms/${gymId}/walls`)) as Walls
let holds = 0
for (const face of walls.flatMap((wall) => wall.faces)) {
  const setup = (await getJson(`${baseUrl}/api/faces/${face.id}/setup`)) as Setup
  holds += setup.holds.length
}
const setupsDone = performance.now()

let climbs = 0
let next: string | null = `${baseUrl}/api/gyms/${gymId}/climbs?max_age=9999`
while (next !== null) {
  const page = (await getJson(next)) as Page
  climbs += page.results.length
  next = page.next
}
const done = performance.now()
const cpu = process.cpuUsage(cpuAtStart)

printFetched({started, setupsDone, done, cpu}, {holds, climbs, requests})
agent.destroy()
