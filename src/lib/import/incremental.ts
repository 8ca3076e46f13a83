import {nowInstant, toCanonicalInstant} from '../common/instant.js'
import {ALL_CLIMBS_MAX_AGE, type StoktSource} from '../stokt/source.js'
import type {RunContext} from './ports.js'
import type {ClimbsCursor} from './stores.js'
import type {BatchFinalizer} from './strategy.js'

/** `--incremental`: how far back the climbs are asked of Stokt, from the last completed climbs import. */
const DAY_MS = 86_400_000
const MIN_INCREMENTAL_DAYS = 7
/** Clocks a little apart (a run on another host) are not a cursor in the future. */
const CLOCK_TOLERANCE_MS = 60_000

export function cursorInFuture(cursor: string, now: string): boolean {
  return Date.parse(cursor) > Date.parse(now) + CLOCK_TOLERANCE_MS
}

/**
 * Days since the last completed climbs import + 1, at least 7; everything when there was none, or
 * when it is after now (a clock is wrong by an unknown amount: 7 days could miss climbs).
 */
export function incrementalMaxAge(cursor: string | undefined, now: string): number {
  if (cursor === undefined || cursorInFuture(cursor, now)) return ALL_CLIMBS_MAX_AGE
  const days = Math.floor((Date.parse(now) - Date.parse(cursor)) / DAY_MS) + 1
  return Math.min(ALL_CLIMBS_MAX_AGE, Math.max(MIN_INCREMENTAL_DAYS, days))
}

/** The cursor to commit with the last batch, when this walk covers everything since the last one (full, or reaching back to it). */
export async function cursorAfterWalk(
  store: ClimbsCursor,
  source: StoktSource,
  gymStoktId: string,
  run: RunContext,
): Promise<BatchFinalizer | undefined> {
  const {maxAge, startedAt, id} = run
  const previous = await store.readClimbsCursor(gymStoktId)
  const covers = maxAge === ALL_CLIMBS_MAX_AGE || (previous !== undefined && maxAge >= incrementalMaxAge(previous, startedAt))
  if (!covers) return undefined
  // Climbs read earlier than this run (a snapshot's): the cursor is when they were, or the next
  // incremental run would never ask for the climbs created in between.
  const readAt = await source.climbsReadAt?.()
  const readAtInstant = readAt === undefined ? undefined : toCanonicalInstant(readAt)
  const climbsStartedAt = readAtInstant !== undefined && readAtInstant < startedAt ? readAtInstant : startedAt
  return (tx) => store.writeClimbsCursor(tx, {gymStoktId, climbsStartedAt, runId: id, now: nowInstant()})
}
