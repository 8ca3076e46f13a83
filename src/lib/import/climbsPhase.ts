/** The second phase of a run: the setters and (with `withClimbs`) the climbs, page by page as they arrive. */
import {CLIMBS, USERS} from '../db/tables.js'
import {ClimbSchema, ClimbSetterSchema, firstHoldNotIn} from '../stokt/schema/climb.js'
import {parseRecord, receivedId} from '../stokt/schema/common.js'
import {jsonText} from '../stokt/jsonText.js'
import {ALL_CLIMBS_MAX_AGE} from '../stokt/source.js'
import type {FacesImported} from './facesPhase.js'
import {cursorAfterWalk} from './incremental.js'
import {climbRow, userRow} from './mapping.js'
import {reportMissingClimbs} from './missingClimbs.js'
import type {PhaseContext} from './phaseContext.js'
import type {RunContext} from './ports.js'
import type {PrefetchedPages} from './prefetchedPages.js'
import type {PhaseStores} from './stores.js'
import type {BatchFinalizer} from './strategy.js'
import type {MissingClimbs} from './summary.js'
import type {ClimbRow, RowGroup, UserRow} from './upsert.js'

export interface ClimbsPhaseParts {
  context: PhaseContext
  run: RunContext
  stores: PhaseStores
  /** What the climbs' faces and holds are checked against. */
  faces: FacesImported
  withClimbs: boolean
}

/** The setters each batch needs are written first, in its transaction. Answers the missing climbs, when a full walk could tell. */
export async function importClimbs(pages: PrefetchedPages, parts: ClimbsPhaseParts): Promise<MissingClimbs | undefined> {
  const {context, run, stores, faces, withClimbs} = parts
  const {source, batchSize, gymId} = context.options
  const {maxAge} = run
  context.reporter.phase(
    maxAge === ALL_CLIMBS_MAX_AGE
      ? `Reading every climb from ${source.description}`
      : `Reading climbs of the last ${maxAge} days from ${source.description}`,
  )
  const seenClimbs = new Set<string>()
  /** Records without an id (rejected), as served: read twice, one is still one record. */
  const seenWithoutId = new Set<string>()
  /** Setters imported (or queued) from a valid copy: the first one met is the one written. */
  const seenSetters = new Set<string>()
  /** Setters whose copies met so far were all malformed: rejected at the end of the walk, unless a valid copy comes first. */
  const malformedSetters = new Map<string, {setterId: string | null; reason: string; raw: unknown}>()
  let users: UserRow[] = []
  let climbs: ClimbRow[] = []
  const flush = async (finalize?: BatchFinalizer) => {
    const groups: RowGroup[] = [{spec: USERS, rows: users}]
    if (withClimbs) groups.push({spec: CLIMBS, rows: climbs})
    users = []
    climbs = []
    await context.writeGroups(groups, finalize)
  }

  let lastCount: number | undefined
  // The bars wait for the first page (asked for when the run began): the climbs bar starts at
  // Stokt's count, not at 0/1.
  context.tally.track('users')
  if (withClimbs) context.tally.track('climbs')
  let next = await context.fromSource(() => pages.next())
  context.track('users', undefined)
  if (withClimbs) context.track('climbs', next.done ? 0 : next.value.count)
  for (; !next.done; next = await context.fromSource(() => pages.next())) {
    const page = next.value
    lastCount = page.count
    if (withClimbs && page.count !== undefined && page.count > (context.total('climbs') ?? 0)) context.setTotal('climbs', page.count)
    for (const raw of page.results) {
      const climbId = receivedId(raw)
      // The list is newest first: climbs created while paging push older ones onto the next page.
      if (climbId !== null) {
        if (seenClimbs.has(climbId)) continue
        seenClimbs.add(climbId)
      } else {
        const asServed = jsonText(raw)
        if (seenWithoutId.has(asServed)) continue
        seenWithoutId.add(asServed)
      }

      // Each climb carries its own copy of its setter: one malformed copy costs its climb, not the setter's other climbs.
      const setter = setterOf(raw)
      const setterId = receivedId(setter)
      const setterKey = String(setterId)
      if (setter !== null && !seenSetters.has(setterKey)) {
        const parsed = parseRecord(ClimbSetterSchema, setter)
        if (parsed.ok) {
          seenSetters.add(setterKey)
          malformedSetters.delete(setterKey)
          users.push(userRow(parsed.value, setter))
        } else if (!malformedSetters.has(setterKey)) {
          malformedSetters.set(setterKey, {
            setterId,
            reason: `climbSetters of climb ${climbId ?? '(no id)'}: ${parsed.reason}`,
            raw: setter,
          })
        }
      }
      if (withClimbs) {
        const row = climbRowOf(context, faces, raw, climbId)
        if (row !== undefined) climbs.push(row)
      }
      context.checkErrorBudget()
      if ((withClimbs ? climbs.length : users.length) >= batchSize) await flush()
    }
  }
  for (const {setterId, reason, raw} of malformedSetters.values()) context.reject('user', setterId, reason, raw)
  context.checkErrorBudget()
  const served = seenClimbs.size + seenWithoutId.size
  context.setTotal('users', seenSetters.size + malformedSetters.size)
  // Fewer climbs than Stokt announced: pages came back short (or empty) and some were never seen.
  const complete = lastCount === undefined || served >= lastCount
  if (!complete) {
    context.reporter.warn(
      `Stokt announced ${lastCount} climb${lastCount === 1 ? '' : 's'} but served ${served}: the others were not read${withClimbs ? ', and the --incremental cursor stays where it was' : ''}`,
    )
  }
  // Every page read: the cursor commits with the last batch, so it never runs ahead of the data.
  const cursor = withClimbs && complete ? await cursorAfterWalk(stores.cursor, source, gymId, run) : undefined
  await flush(cursor)
  await context.drainWrites()
  if (withClimbs && maxAge === ALL_CLIMBS_MAX_AGE && lastCount !== undefined && lastCount === seenClimbs.size) {
    return reportMissingClimbs(context, stores.climbs, seenClimbs)
  }
  return undefined
}

/** A climb's row, or undefined when it is rejected (its reason recorded). */
function climbRowOf(context: PhaseContext, faces: FacesImported, raw: unknown, climbId: string | null): ClimbRow | undefined {
  const parsed = parseRecord(ClimbSchema, raw)
  if (!parsed.ok) return context.reject('climb', climbId, parsed.reason, raw)
  const climb = parsed.value
  const holdIds = faces.holds.get(climb.faceId)
  if (holdIds === undefined) {
    return context.reject('climb', climbId, `faceId: ${climb.faceId} is not a face of gym ${context.options.gymId} that was imported`, raw)
  }
  // Why a climb cannot use a hold its face's holds do not include: rejected, or not on the face at all.
  const holdProblem = (holdId: number) => {
    const rejected = faces.rejectedHolds.get(`${climb.faceId} ${holdId}`)
    return rejected === undefined ? `hold ${holdId} is not on face ${climb.faceId}` : `hold ${holdId} was rejected (${rejected})`
  }
  const unknownHold = firstHoldNotIn(climb.holdsList, holdIds)
  if (unknownHold !== undefined) return context.reject('climb', climbId, `holdsList: ${holdProblem(unknownHold)}`, raw)
  const unknownMirror = firstHoldNotIn(climb.mirrorHoldsList ?? '', holdIds)
  if (unknownMirror !== undefined) return context.reject('climb', climbId, `mirrorHoldsList: ${holdProblem(unknownMirror)}`, raw)
  return climbRow(climb, raw)
}

/** `climbSetters` as received: null when missing or null, so a climb without setter has no user. */
function setterOf(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object') return null
  return (raw as {climbSetters?: unknown}).climbSetters ?? null
}
