/** After a complete full walk: the climbs from Stokt that Stokt no longer serves. Reported, never deleted. */
import type {PhaseContext} from './phaseContext.js'
import type {StoredClimbs} from './stores.js'
import type {MissingClimbs, RecordLabel} from './summary.js'

export async function reportMissingClimbs(
  context: PhaseContext,
  stored: StoredClimbs,
  served: ReadonlySet<string>,
): Promise<MissingClimbs> {
  const {gymId, dryRun} = context.options
  // Written, every climb served and kept is now on this gym's faces: when the gym has no more
  // climbs than those, none is missing, and their ids need not be read back.
  const climbs = context.tally.counts.get('climbs')
  const kept = climbs ? climbs.created + climbs.updated + climbs.unchanged : 0
  if (!dryRun && (await stored.countClimbsOfGym(gymId)) === kept) return {count: 0, ids: []}
  const ids = (await stored.climbStoktIdsOfGym(gymId)).filter((stoktId) => !served.has(stoktId)).sort()
  const labels: Record<string, RecordLabel> = {}
  for (const [stoktId, {name, faceStoktId}] of await stored.describeClimbs(ids)) {
    labels[stoktId] = {name, ...(faceStoktId ? {face: context.faceName(faceStoktId)} : {})}
  }
  if (ids.length > 0) {
    context.reporter.warn(
      `${ids.length} climb${ids.length === 1 ? ' is' : 's are'} no longer served by Stokt (kept; listed under "missing")`,
    )
  }
  // Labels only beside ids: a run with none missing reports {count: 0, ids: []}, as it always has.
  return ids.length > 0 ? {count: ids.length, ids, labels} : {count: 0, ids}
}
