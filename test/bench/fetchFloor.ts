/**
 * The bare-fetch floor, run as its own process like the CLI (so that, like the CLI, it does not
 * share the Stokt test server's thread): plain `fetch` + `JSON.parse` of what an `import all`
 * reads — the gym summary, its walls, every face setup, then every climbs page following `next` —
 * one request at a time. Prints one JSON line: {setupsMs, climbsMs, totalMs, holds, climbs, requests}.
 *
 *   node --import tsx test/bench/fetchFloor.ts <stokt-url> <gym-id>   (token in STOKT_TOKEN)
 */
const [baseUrl, gymId] = process.argv.slice(2)
const token = process.env.STOKT_TOKEN
if (!baseUrl || !gymId || !token) {
  console.error('usage: STOKT_TOKEN=… fetchFloor.ts <stokt-url> <gym-id>')
  process.exit(2)
}

const headers = {authorization: `Token ${token}`, accept: 'application/json'}
let requests = 0

async function getJson(url: string): Promise<unknown> {
  requests += 1
  const response = await fetch(url, {headers})
  const body = await response.text()
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status} ${body.slice(0, 200)}`)
  return JSON.parse(body)
}

type Walls = {faces: {id: string}[]}[]
type Setup = {holds: unknown[]}
type Page = {next: string | null; results: unknown[]}

const started = performance.now()
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

console.log(JSON.stringify({setupsMs: setupsDone - started, climbsMs: done - setupsDone, totalMs: done - started, holds, climbs, requests}))
