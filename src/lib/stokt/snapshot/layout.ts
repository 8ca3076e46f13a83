/**
 * A snapshot: what Stokt served for one gym, saved to a directory and read back instead of Stokt.
 *
 * - `summary.json`, `walls.json`, `setup-<faceId>.json`: the payloads as served.
 * - `climbs.json`: a JSON array of every climb record in page order, one record per line so it
 *   can be streamed and is still plain JSON; any other JSON array (pretty-printed, one line) reads too.
 * - `manifest.json` (see manifest.ts), written last. Optional when reading, so a directory laid
 *   out by hand reads as a snapshot.
 *
 * A save is made in `.saving/` inside the directory and replaces the directory's snapshot files
 * only once finished, manifest last: an interrupted save never reads as complete, and never costs
 * the snapshot already there. A directory with `.saving/` (or an older writer's
 * `climbs.json.partial`) and no manifest is refused as interrupted.
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

/**
 * Exactly the names a snapshot's files have (a face's setup is named by its UUID): a writer
 * replaces these. Anything else (`setup-instructions.json`, an editor's `walls.json.tmp`) is
 * someone else's, and stays.
 */
const SNAPSHOT_FILE = /^(manifest|summary|walls|climbs)\.json$|^setup-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json$/i

export function isSnapshotFile(name: string): boolean {
  return SNAPSHOT_FILE.test(name)
}

/** The file of a face's setup; undefined for an id that could step out of the directory. */
export function setupFileName(faceId: string): string | undefined {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(faceId) ? `setup-${faceId}.json` : undefined
}
