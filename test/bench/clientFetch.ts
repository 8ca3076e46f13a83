/**
 * The importer's own client fetching what an `import all` reads, and nothing else: the bound of a
 * re-run of an unchanged gym, which must fetch every page again (Stokt has no conditional requests).
 * Run as its own process like the CLI (so that, like the CLI, it does not share the Stokt test
 * server's thread). The built StoktClient (dist/, what the CLI runs) at concurrency 4 (the
 * importer's default): the gym summary, its walls, every face setup (up to 4 at once, taken in order,
 * as the importer's FetchedAhead does), then every climbs page with max_age 9999 (the client reads
 * up to 4 pages ahead). No record is validated or written. Prints one JSON line, like fetchFloor.ts:
 * {setupsMs, climbsMs, totalMs, cpuMs, holds, climbs, requests}.
 *
 *   node --import tsx test/bench/clientFetch.ts <stokt-url> <gym-id>   (token in STOKT_TOKEN)
 */
const [baseUrl, gymId] = process.argv.slice(2)
const token = process.env.STOKT_TOKEN
if (!baseUrl || !gymId || !token) {
  console.error('usage: STOKT_TOKEN=… clientFetch.ts <stokt-url> <gym-id>')
  process.exit(2)
}

// dist/ has no type declarations: typed as the sources it is built from.
const dist = (path: string) => new URL(`../../dist/src/lib/${path}`, import.meta.url).href
const {StoktClient} = (await import(dist('stokt/client.js'))) as typeof import('../../src/lib/stokt/client.js')
const {FetchedAhead} = (await import(dist('import/concurrency.js'))) as typeof import('../../src/lib/import/concurrency.js')
const {ALL_CLIMBS_MAX_AGE} = (await import(dist('stokt/source.js'))) as typeof import('../../src/lib/stokt/source.js')

/** The CLI's default --concurrency. */
const CONCURRENCY = 4

type Walls = {faces: {id: string}[]}[]
type Setup = {holds: unknown[]}

const client = new StoktClient({baseUrl, token, concurrency: CONCURRENCY})
try {
  const started = performance.now()
  const cpuAtStart = process.cpuUsage()
  await client.gymSummary(gymId)
  const walls = (await client.walls(gymId)) as Walls
  // Each face once, as the importer asks for them.
  const faceIds = [...new Set(walls.flatMap((wall) => wall.faces.map((face) => face.id)))]
  const setups = new FetchedAhead(faceIds, CONCURRENCY, (faceId) => client.faceSetup(faceId) as Promise<Setup>)
  let holds = 0
  for (let face = 0; face < faceIds.length; face++) holds += (await setups.next()).holds.length
  const setupsDone = performance.now()

  // The importer asks for page 1 while it reads the setups; that overlap (a handful of pages out of
  // hundreds) is left out, so the two phases are timed apart as in fetchFloor.ts.
  let climbs = 0
  let pages = 0
  for await (const page of client.climbPages(gymId, ALL_CLIMBS_MAX_AGE)) {
    climbs += page.results.length
    pages += 1
  }
  const done = performance.now()
  const cpu = process.cpuUsage(cpuAtStart)

  // The client reads ahead no further than the pages' count announces: one request per page.
  const requests = 2 + faceIds.length + pages
  console.log(
    JSON.stringify({
      setupsMs: setupsDone - started,
      climbsMs: done - setupsDone,
      totalMs: done - started,
      cpuMs: (cpu.user + cpu.system) / 1000,
      holds,
      climbs,
      requests,
    }),
  )
} finally {
  await client.close()
}
