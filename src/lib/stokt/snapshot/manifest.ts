import path from 'node:path'
import {z} from 'zod'
import {StoktError} from '../source.js'
import {MANIFEST, SNAPSHOT_FORMAT, SNAPSHOT_VERSION} from './layout.js'

/** Any JSON number, 1e999 (Infinity) included, which z.number() would refuse. */
const jsonNumber = (error: string) => z.custom<number>((value) => typeof value === 'number', {error})

/** A date-time Date.parse reads. */
const dateText = (error: string) => z.string({error}).refine((text) => !Number.isNaN(Date.parse(text)), {error})

const NO_PAGES_OR_CLIMBS = 'has no pages or climbs count'
const NOT_WHOLE_COUNT = 'has a count that is not a whole number'

/** manifest.json, checked in this order (the first problem is told); only `{"climbs": false}` says the climbs were not read. */
const SnapshotManifestSchema = z.object(
  {
    format: z.literal(SNAPSHOT_FORMAT, {error: `is not a ${SNAPSHOT_FORMAT} manifest`}),
    version: z.literal(SNAPSHOT_VERSION, {
      error: (issue) => `has version ${JSON.stringify(issue.input)}; this mastoc reads version ${SNAPSHOT_VERSION}`,
    }),
    gymId: z.string({error: 'has no gymId'}),
    /** When the snapshot was finished (ISO 8601, UTC). */
    savedAt: dateText('has no savedAt date'),
    /** The `max_age` the climbs were fetched with; null when climbs were not read. */
    maxAge: jsonNumber('has no maxAge').nullable(),
    /** Pages of climbs read from Stokt. */
    pages: jsonNumber(NO_PAGES_OR_CLIMBS),
    /** Climb records in climbs.json. */
    climbs: jsonNumber(NO_PAGES_OR_CLIMBS),
    /** The `count` Stokt announced on the last page (absent in older snapshots): climbs.json keeps a climb served twice twice. */
    count: z
      .number({error: NOT_WHOLE_COUNT})
      .refine((count) => Number.isInteger(count) && count >= 0, {error: NOT_WHOLE_COUNT})
      .optional(),
    /** When the saving run began reading the climbs, the list's date (ISO 8601, UTC); older snapshots: `savedAt`. */
    climbsReadAt: dateText('has a climbsReadAt that is not a date').optional(),
    /** `climbs` false: never read (`import holds`); its empty climbs.json is refused, not served as "no climbs". */
    complete: z
      .unknown()
      .optional()
      .transform((complete) => ({climbs: !(isRecord(complete) && complete.climbs === false)})),
  },
  {error: `is not a ${SNAPSHOT_FORMAT} manifest`},
)

export type SnapshotManifest = z.infer<typeof SnapshotManifestSchema>

/** The manifest of the snapshot in `snapshot.dir`, checked; refused naming its first problem. */
export function parseManifest(value: unknown, snapshot: {readonly dir: string; readonly description: string}): SnapshotManifest {
  const result = SnapshotManifestSchema.safeParse(value)
  if (result.success) return result.data
  throw new StoktError(
    `${snapshot.description}: ${MANIFEST} ${result.error.issues[0]!.message}`,
    `read ${path.join(snapshot.dir, MANIFEST)}`,
  )
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
