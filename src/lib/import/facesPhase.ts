/** The first phase of a run: the gym, its faces and (with `withHolds`) their holds. */
import {FACES, GYMS, HOLDS} from '../db/tables.js'
import {parseRecord, receivedId} from '../stokt/schema/common.js'
import {GymSummarySchema} from '../stokt/schema/gym.js'
import {FaceSetupSchema, HoldSchema} from '../stokt/schema/setup.js'
import {WallsSchema} from '../stokt/schema/walls.js'
import {StoktError} from '../stokt/source.js'
import {FetchedAhead} from './concurrency.js'
import {ImportFailure} from './failures.js'
import {faceRow, gymRow, holdRow} from './mapping.js'
import type {PhaseContext} from './phaseContext.js'
import type {Outcome} from './summary.js'
import type {HoldRow, RowGroup} from './upsert.js'

/** What the climbs phase checks a climb's holds against. */
export interface FacesImported {
  /** The hold ids of each face imported. */
  holds: Map<string, Set<number>>
  /** `${faceId} ${holdId}` → why that hold was rejected: a climb using it is rejected for that, not for a hold not on the face. */
  rejectedHolds: Map<string, string>
}

/** Nothing imported: the climbs phase of `import users` checks no holds. */
export function noFaces(): FacesImported {
  return {holds: new Map(), rejectedHolds: new Map()}
}

export async function importGymAndFaces(context: PhaseContext, withHolds: boolean): Promise<FacesImported> {
  return new FacesPhase(context, withHolds).run()
}

class FacesPhase {
  private readonly imported = noFaces()
  /** Every hold id served so far in this run, and the face it was served on first. */
  private readonly holdFaces = new Map<number, string>()

  constructor(
    private readonly context: PhaseContext,
    private readonly withHolds: boolean,
  ) {}

  async run(): Promise<FacesImported> {
    const {context, withHolds} = this
    const {source, gymId, dryRun, concurrency} = context.options
    context.reporter.phase(`Reading gym ${gymId} from ${source.description}`)
    const summaryRaw = await context.fromSource(() => source.gymSummary(gymId))
    const summary = parseRecord(GymSummarySchema, summaryRaw)
    if (!summary.ok) throw new ImportFailure(`Stokt's summary of gym ${gymId} is unusable: ${summary.reason}`)
    // Written as asked for, it would move every face to the other gym, under this gym's lock and cursor.
    if (summary.value.id.toLowerCase() !== gymId.toLowerCase()) {
      throw new ImportFailure(`Stokt's summary of gym ${gymId} is of gym ${summary.value.id}: nothing written`)
    }
    const walls = parseRecord(WallsSchema, await context.fromSource(() => source.walls(gymId)))
    if (!walls.ok) throw new ImportFailure(`Stokt's walls of gym ${gymId} are unusable: ${walls.reason}`)
    const faceIds = [...new Set(walls.value.flatMap((wall) => wall.faces.map((face) => face.id)))]
    for (const wall of walls.value) for (const face of wall.faces) if (wall.name) context.nameFace(face.id, wall.name)

    context.reporter.phase(dryRun ? 'Comparing the gym' : 'Writing the gym')
    let gymOutcome: Outcome | undefined
    context.throwIfInterrupted()
    const gym = gymRow(summary.value, summaryRaw)
    await context.strategy.write([{spec: GYMS, rows: [gym]}], (entity, outcome) => {
      gymOutcome = outcome
      context.tally.add(entity, outcome, context.labelOf('gym', gym)) // no counts of its own: a dry run's diff names it
    })
    if (gymOutcome?.kind === 'error') throw new ImportFailure(`gym ${gymId} could not be written: ${gymOutcome.reason}`)

    const writing = dryRun ? 'comparing' : 'writing'
    context.reporter.phase(
      `Reading ${faceIds.length} face setup${faceIds.length === 1 ? '' : 's'}${withHolds ? ` and ${writing} their holds` : ''}`,
    )
    context.track('faces', faceIds.length)
    if (withHolds) context.track('holds', undefined)
    // Fetched ahead, handled one at a time: a large gym's holds are never all in memory at once.
    // A face the walls list but whose setup Stokt does not have is that face's problem alone.
    const setups = new FetchedAhead(faceIds, concurrency, (faceId) =>
      source.faceSetup(faceId).catch((error: unknown) => {
        if (error instanceof StoktError && error.status === 404) return new MissingSetup(error.message)
        throw error
      }),
    )
    try {
      for (const faceId of faceIds) {
        const raw = await context.fromSource(() => setups.next())
        if (raw instanceof MissingSetup) {
          context.reject('face', faceId, `setup: ${raw.message}`, null)
          continue
        }
        const holdIds = await this.importFace(summary.value.id, faceId, raw)
        if (holdIds) this.imported.holds.set(faceId, holdIds)
      }
    } finally {
      setups.discard()
    }
    return this.imported
  }

  /** One face and (with `withHolds`) its holds; the face's hold ids, or undefined when it was rejected. */
  private async importFace(gymStoktId: string, faceId: string, raw: unknown): Promise<Set<number> | undefined> {
    const {context, withHolds} = this
    const {rejectedHolds} = this.imported
    const setup = parseRecord(FaceSetupSchema, raw, ['holds'])
    if (!setup.ok) return context.reject('face', receivedId(raw) ?? faceId, setup.reason, raw)
    if (setup.value.id !== faceId)
      return context.reject('face', faceId, `id: the setup of face ${faceId} is of face ${setup.value.id}`, raw)

    const holdIds = new Set<number>()
    const holdRows: HoldRow[] = []
    if (withHolds) context.setTotal('holds', (context.total('holds') ?? 0) + setup.value.holds.length)
    for (const rawHold of setup.value.holds) {
      const hold = parseRecord(HoldSchema, rawHold)
      if (hold.ok) {
        // A hold is on one face. Served again later in the run, it is refused, not written over the
        // first: each run would otherwise move it back and forth, and a re-run would never settle.
        const servedOn = this.holdFaces.get(hold.value.id)
        if (servedOn !== undefined) {
          const where = servedOn === faceId ? "twice in this face's setup" : `in the setup of face ${servedOn} too`
          const reason = `face ${faceId}: hold ${hold.value.id} is served ${where}; the first one is kept`
          if (servedOn !== faceId) rejectedHolds.set(`${faceId} ${hold.value.id}`, reason)
          if (withHolds) context.reject('hold', String(hold.value.id), reason, rawHold)
          continue
        }
        this.holdFaces.set(hold.value.id, faceId)
        holdIds.add(hold.value.id)
        if (withHolds) holdRows.push(holdRow(faceId, hold.value, rawHold))
      } else {
        const reason = `face ${faceId}: ${hold.reason}`
        const id = (rawHold as {id?: unknown} | null)?.id
        if (typeof id === 'number' && Number.isInteger(id)) rejectedHolds.set(`${faceId} ${id}`, reason)
        if (withHolds) context.reject('hold', receivedId(rawHold), reason, rawHold)
      }
    }
    // The face goes in the transaction of its first holds, as setters go with their climbs: no wait
    // between faces. A face the database refuses leaves its holds and climbs referring to nothing.
    const {batchSize} = context.options
    const face: RowGroup = {spec: FACES, rows: [faceRow(gymStoktId, setup.value, raw)]}
    let start = 0
    do {
      const holds: RowGroup = {spec: HOLDS, rows: holdRows.slice(start, start + batchSize)}
      await context.writeGroups(start === 0 ? [face, holds] : [holds])
      start += batchSize
    } while (start < holdRows.length)
    return holdIds
  }
}

/** A face's setup that Stokt answered 404 for. */
class MissingSetup {
  constructor(readonly message: string) {}
}
