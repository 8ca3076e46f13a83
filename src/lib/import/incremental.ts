import {ALL_CLIMBS_MAX_AGE} from '../stokt/source.js'

/** `--incremental`: how far back the climbs are asked of Stokt, from the last completed climbs import. */
const DAY_MS = 86_400_000
const MIN_INCREMENTAL_DAYS = 7
/** Clocks a little apart (a run on another host) are not a cursor in the future. */
const CLOCK_TOLERANCE_MS = 60_000

export function cursorInFuture(cursor: string, now: string): boolean {
  return Date.parse(cursor) > Date.parse(now) + CLOCK_TOLERANCE_MS
}

/**
 * design.md: days since the last completed climbs import + 1, at least 7; everything when there was
 * none, and when it is after now (one of the two machines' clocks is wrong, and by how much is
 * unknown: 7 days could miss climbs).
 */
export function incrementalMaxAge(cursor: string | undefined, now: string): number {
  if (cursor === undefined || cursorInFuture(cursor, now)) return ALL_CLIMBS_MAX_AGE
  const days = Math.floor((Date.parse(now) - Date.parse(cursor)) / DAY_MS) + 1
  return Math.min(ALL_CLIMBS_MAX_AGE, Math.max(MIN_INCREMENTAL_DAYS, days))
}
