/**
 * The importer's own source reading what an `import all` reads, and nothing else: the built
 * StoktClient (at concurrency 4, the CLI's default) or the built SnapshotSource; with `--validate`,
 * every record also goes through the importer's own schemas (parseRecord, as the faces and climbs
 * phases call it: each setter once, each climb once), each climb's holds are checked to be on its
 * face, and each record is mapped to its row (import/mapping.ts). No database. Run as its own
 * process like the CLI (so that, like the CLI, it does not share the Stokt test server's thread).
 *
 * What a re-run cannot go below: it must read everything again (Stokt has no conditional requests)
 * and, with no cache that skips checking what Stokt served, validate and map it all again.
 *
 * Order as the importer's: the gym summary, its walls, every face setup (up to 4 at once, taken in
 * order, as its FetchedAhead does), then every climbs page with max_age 9999. Prints one JSON line,
 * like fetchFloor.ts: {setupsMs, climbsMs, totalMs, cpuMs, holds, climbs, requests, rejected}.
 *
 *   node --import tsx test/bench/sourceRead.ts <stokt-url> <gym-id> [--validate]   (token in STOKT_TOKEN)
 *   node --import tsx test/bench/sourceRead.ts --snapshot <dir> <gym-id> [--validate]
 */
import {parseArgs} from 'node:util'

import type {z} from 'zod'

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
const {ClimbSchema, ClimbSetterSchema, firstHoldNotIn} = (await import(
  dist('stokt/schema/climb.js')
)) as typeof import('../../src/lib/stokt/schema/climb.js')
const {climbRow, faceRow, gymRow, holdRow, userRow} = (await import(
  dist('import/mapping.js')
)) as typeof import('../../src/lib/import/mapping.js')
const {DEFAULT_BATCH_SIZE} = (await import(new URL('../../dist/src/flags.js', import.meta.url).href)) as typeof import('../../src/flags.js')

/** The CLI's default --concurrency. */
const CONCURRENCY = 4

type Walls = {faces: {id: string}[]}[]
type Setup = {holds: unknown[]}

let rejected = 0
/** Rows made and let go a batch at a time, as the importer does: kept until then, so that none is optimised away. */
let rows: unknown[] = []
const keep = (row: unknown) => {
  rows.push(row)
  if (rows.length >= DEFAULT_BATCH_SIZE) rows = []
}
/** parseRecord as the importer calls it: the value, or undefined (counted: none should be refused). */
function validated<S extends Parameters<typeof parseRecord>[0]>(schema: S, raw: unknown, validatedApart?: readonly string[]) {
  const parsed = parseRecord(schema, raw, validatedApart)
  if (parsed.ok) return parsed.value as z.output<S>
  rejected += 1
  return undefined
}

const source =
  values.snapshot === undefined
    ? new StoktClient({baseUrl: baseUrl!, token: token!, concurrency: CONCURRENCY})
    : new SnapshotSource(values.snapshot)
try {
  const started = performance.now()
  const cpuAtStart = process.cpuUsage()
  const summaryRaw = await source.gymSummary(gymId)
  const summary = values.validate ? validated(GymSummarySchema, summaryRaw) : undefined
  if (summary) keep(gymRow(summary, summaryRaw))
  const walls = (await source.walls(gymId)) as Walls
  if (values.validate) validated(WallsSchema, walls)
  // Each face once, as the importer asks for them.
  const faceIds = [...new Set(walls.flatMap((wall) => wall.faces.map((face) => face.id)))]
  const setups = new FetchedAhead(faceIds, CONCURRENCY, (faceId) => source.faceSetup(faceId) as Promise<Setup>)
  const holdIdsOfFace = new Map<string, Set<number>>()
  let holds = 0
  for (const faceId of faceIds) {
    const raw = await setups.next()
    holds += raw.holds.length
    const setup = values.validate ? validated(FaceSetupSchema, raw, ['holds']) : undefined
    if (!setup) continue
    keep(faceRow(gymId, setup, raw))
    const holdIds = new Set<number>()
    for (const rawHold of setup.holds) {
      const hold = validated(HoldSchema, rawHold)
      if (!hold) continue
      holdIds.add(hold.id)
      keep(holdRow(faceId, hold, rawHold))
    }
    holdIdsOfFace.set(faceId, holdIds)
  }
  const setupsDone = performance.now()

  // The importer asks for page 1 while it reads the setups; that overlap (a handful of pages out of
  // hundreds) is left out, so the two phases are timed apart as in fetchFloor.ts.
  let climbs = 0
  let pages = 0
  const seenSetters = new Set<string>()
  const seenClimbs = new Set<string>()
  for await (const page of source.climbPages(gymId, ALL_CLIMBS_MAX_AGE)) {
    climbs += page.results.length
    pages += 1
    if (!values.validate) continue
    for (const raw of page.results) {
      const setterRaw = (raw as {climbSetters?: unknown}).climbSetters ?? null
      const setterId = String(receivedId(setterRaw))
      if (setterRaw !== null && !seenSetters.has(setterId)) {
        seenSetters.add(setterId)
        const setter = validated(ClimbSetterSchema, setterRaw)
        if (setter) keep(userRow(setter, setterRaw))
      }
      const climb = validated(ClimbSchema, raw)
      if (!climb || seenClimbs.has(climb.id)) continue
      seenClimbs.add(climb.id)
      // Every hold a climb names is on its face, as the importer checks.
      const holdIds = holdIdsOfFace.get(climb.faceId)
      if (
        !holdIds ||
        firstHoldNotIn(climb.holdsList, holdIds) !== undefined ||
        firstHoldNotIn(climb.mirrorHoldsList ?? '', holdIds) !== undefined
      ) {
        rejected += 1
        continue
      }
      keep(climbRow(climb, raw))
    }
  }
  const done = performance.now()
  const cpu = process.cpuUsage(cpuAtStart)

  // The client reads ahead no further than the pages' count announces: one request per page.
  const requests = values.snapshot === undefined ? 2 + faceIds.length + pages : 0
  printFetched({started, setupsDone, done, cpu}, {holds, climbs, requests, rejected})
} finally {
  await source.close()
}
