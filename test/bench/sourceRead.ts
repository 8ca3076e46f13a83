/**
 * The importer's own source reading what an `import all` reads, and nothing else: the built
 * StoktClient (at concurrency 4, the CLI's default) or the built SnapshotSource; with `--validate`,
 * every record also goes through the importer's own schemas (parseRecord, as the faces and climbs
 * phases call it: each setter once). No mapping, no database. Run as its own process like the CLI
 * (so that, like the CLI, it does not share the Stokt test server's thread).
 *
 * What a re-run cannot go below: it must read everything again (Stokt has no conditional requests)
 * and, with no cache that skips checking what Stokt served, validate it all again.
 *
 * Order as the importer's: the gym summary, its walls, every face setup (up to 4 at once, taken in
 * order, as its FetchedAhead does), then every climbs page with max_age 9999. Prints one JSON line,
 * like fetchFloor.ts: {setupsMs, climbsMs, totalMs, cpuMs, holds, climbs, requests, rejected}.
 *
 *   node --import tsx test/bench/sourceRead.ts <stokt-url> <gym-id> [--validate]   (token in STOKT_TOKEN)
 *   node --import tsx test/bench/sourceRead.ts --snapshot <dir> <gym-id> [--validate]
 */
import {parseArgs} from 'node:util'

import {printFetched} from './fetchTimings.js'

const {values, positionals} = parseArgs({
  options: {snapshot: {type: 'string'}, validate: {type: 'boolean', default: false}},
  allowPositionals: true,
})
const [baseUrl, gymId] = values.snapshot === undefined ? positionals : [undefined, positionals[0]]
const token = process.env.STOKT_TOKEN
if (!gymId || (values.snapshot === undefined && (!baseUrl || !token))) {
  console.error(
    'usage: STOKT_TOKEN=… sourceRead.ts <stokt-url> <gym-id> [--validate] | sourceRead.ts --snapshot <dir> <gym-id> [--validate]',
  )
  process.exit(2)
}

// dist/ has no type declarations: typed as the sources it is built from.
const dist = (path: string) => new URL(`../../dist/src/lib/${path}`, import.meta.url).href
const {StoktClient} = (await import(dist('stokt/client.js'))) as typeof import('../../src/lib/stokt/client.js')
const {SnapshotSource} = (await import(dist('stokt/snapshot/source.js'))) as typeof import('../../src/lib/stokt/snapshot/source.js')
const {FetchedAhead} = (await import(dist('import/concurrency.js'))) as typeof import('../../src/lib/import/concurrency.js')
const {ALL_CLIMBS_MAX_AGE} = (await import(dist('stokt/source.js'))) as typeof import('../../src/lib/stokt/source.js')
const {parseRecord, receivedId} = (await import(dist('stokt/schema/common.js'))) as typeof import('../../src/lib/stokt/schema/common.js')
const {GymSummarySchema} = (await import(dist('stokt/schema/gym.js'))) as typeof import('../../src/lib/stokt/schema/gym.js')
const {WallsSchema} = (await import(dist('stokt/schema/walls.js'))) as typeof import('../../src/lib/stokt/schema/walls.js')
const {FaceSetupSchema, HoldSchema} = (await import(dist('stokt/schema/setup.js'))) as typeof import('../../src/lib/stokt/schema/setup.js')
const {ClimbSchema, ClimbSetterSchema} = (await import(
  dist('stokt/schema/climb.js')
)) as typeof import('../../src/lib/stokt/schema/climb.js')

/** The CLI's default --concurrency. */
const CONCURRENCY = 4

type Walls = {faces: {id: string}[]}[]
type Setup = {holds: unknown[]}

let rejected = 0
/** parseRecord as the importer calls it, when validating; a record it refuses is counted (none should be). */
const check = (schema: Parameters<typeof parseRecord>[0], raw: unknown, validatedApart?: readonly string[]) => {
  if (values.validate && !parseRecord(schema, raw, validatedApart).ok) rejected += 1
}

const source =
  values.snapshot === undefined
    ? new StoktClient({baseUrl: baseUrl!, token: token!, concurrency: CONCURRENCY})
    : new SnapshotSource(values.snapshot)
try {
  const started = performance.now()
  const cpuAtStart = process.cpuUsage()
  check(GymSummarySchema, await source.gymSummary(gymId))
  const walls = (await source.walls(gymId)) as Walls
  check(WallsSchema, walls)
  // Each face once, as the importer asks for them.
  const faceIds = [...new Set(walls.flatMap((wall) => wall.faces.map((face) => face.id)))]
  const setups = new FetchedAhead(faceIds, CONCURRENCY, (faceId) => source.faceSetup(faceId) as Promise<Setup>)
  let holds = 0
  for (let face = 0; face < faceIds.length; face++) {
    const setup = await setups.next()
    check(FaceSetupSchema, setup, ['holds'])
    for (const hold of setup.holds) check(HoldSchema, hold)
    holds += setup.holds.length
  }
  const setupsDone = performance.now()

  // The importer asks for page 1 while it reads the setups; that overlap (a handful of pages out of
  // hundreds) is left out, so the two phases are timed apart as in fetchFloor.ts.
  let climbs = 0
  let pages = 0
  const seenSetters = new Set<string>()
  for await (const page of source.climbPages(gymId, ALL_CLIMBS_MAX_AGE)) {
    for (const raw of page.results) {
      const setter = (raw as {climbSetters?: unknown}).climbSetters ?? null
      if (setter !== null && !seenSetters.has(String(receivedId(setter)))) {
        seenSetters.add(String(receivedId(setter)))
        check(ClimbSetterSchema, setter)
      }
      check(ClimbSchema, raw)
    }
    climbs += page.results.length
    pages += 1
  }
  const done = performance.now()
  const cpu = process.cpuUsage(cpuAtStart)

  // The client reads ahead no further than the pages' count announces: one request per page.
  const requests = values.snapshot === undefined ? 2 + faceIds.length + pages : 0
  printFetched({started, setupsDone, done, cpu}, {holds, climbs, requests, rejected})
} finally {
  await source.close()
}
