/**
 * A snapshot: what Stokt served for one gym, in a directory: `summary.json`, `walls.json`,
 * `setup-<faceId>.json` as served; `climbs.json`, a JSON array one record a line (streamed, still
 * JSON); `manifest.json` (manifest.ts), optional when reading. A save is made in `.saving/` and
 * replaces the files only once finished, manifest last: an interrupted save never reads as complete
 * nor costs the snapshot already there, and one left behind is refused as interrupted.
 */
export const SNAPSHOT_FORMAT = 'mastoc-stokt-snapshot'
export const SNAPSHOT_VERSION = 1

export const MANIFEST = 'manifest.json'
export const SUMMARY = 'summary.json'
export const WALLS = 'walls.json'
export const CLIMBS = 'climbs.json'
/** climbs.json while it is written; renamed once the manifest is written beside it. */
export const CLIMBS_PARTIAL = 'climbs.json.partial'
/** Where a save in progress writes, inside the snapshot directory (the same file system: renames). */
export const SAVING = '.saving'

/** Exactly the names a snapshot's files have, which a writer replaces: anything else is someone else's, and stays. */
const SNAPSHOT_FILE = /^(manifest|summary|walls|climbs)\.json$|^setup-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json$/i

export function isSnapshotFile(name: string): boolean {
  return SNAPSHOT_FILE.test(name)
}

/** The file of a face's setup; undefined for an id that could step out of the directory. */
export function setupFileName(faceId: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(faceId) ? `setup-${faceId}.json` : undefined
}
