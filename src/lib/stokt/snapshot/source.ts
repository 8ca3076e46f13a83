import fs from 'node:fs/promises'
import path from 'node:path'
import {toCanonicalInstant} from '../../common/instant.js'
import {ALL_CLIMBS_MAX_AGE, StoktError, type ClimbsPage, type StoktSource} from '../source.js'
import {parseJsonFile, readClimbsFile} from './climbsFile.js'
import {CLIMBS, CLIMBS_PARTIAL, MANIFEST, SAVING, setupFileName, SUMMARY, WALLS} from './layout.js'
import {parseManifest, type SnapshotManifest} from './manifest.js'

const DAY_MS = 86_400_000

export interface SnapshotSourceOptions {
  /** Records per page served by climbPages; default 100. */
  pageSize?: number
  /** The "now" that `maxAge` counts back from; default the current time. */
  now?: Date
}

/** Serves a snapshot directory as if it were Stokt. */
export class SnapshotSource implements StoktSource {
  readonly description: string
  private readonly pageSize: number
  private readonly now: Date
  private manifestRead?: Promise<SnapshotManifest | undefined>

  constructor(
    readonly dir: string,
    options: SnapshotSourceOptions = {},
  ) {
    this.description = `snapshot ${dir}`
    this.pageSize = options.pageSize ?? 100
    this.now = options.now ?? new Date()
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1) {
      throw new Error(`snapshot page size must be a positive whole number, not ${options.pageSize}`)
    }
  }

  async gymSummary(gymId: string): Promise<unknown> {
    await this.manifest() // an interrupted save says so before summary.json is missed
    const summary = await this.readJson(SUMMARY)
    await this.checkGym(gymId, summary)
    return summary
  }

  async walls(gymId: string): Promise<unknown> {
    await this.checkGym(gymId)
    return this.readJson(WALLS)
  }

  async faceSetup(faceId: string): Promise<unknown> {
    await this.manifest()
    const name = setupFileName(faceId)
    const missing = () => new StoktError(`${this.description} has no setup for face ${faceId}`, `read setup of face ${faceId}`, 404)
    if (!name) throw missing()
    return this.readJson(name, missing)
  }

  async *climbPages(gymId: string, maxAge: number): AsyncGenerator<ClimbsPage> {
    await this.checkGym(gymId)
    const manifest = await this.manifest()
    const call = `read ${path.join(this.dir, CLIMBS)}`
    if (manifest && !manifest.complete.climbs) {
      throw new StoktError(`${this.description} holds no climbs: the run that saved it did not read them`, call)
    }
    this.checkCoverage(manifest, maxAge, call)

    const filtering = maxAge < ALL_CLIMBS_MAX_AGE
    const cutoff = this.now.getTime() - maxAge * DAY_MS
    // What Stokt announced, as the live run saw it: served again, a snapshot is as complete as its walk was.
    const count = filtering ? undefined : (manifest?.count ?? manifest?.climbs)
    let page = 0
    let results: unknown[] = []
    for await (const records of this.climbRecords()) {
      for (const record of records) {
        if (filtering && createdBefore(record, cutoff)) continue
        results.push(record)
        if (results.length === this.pageSize) {
          yield {page: ++page, count, results}
          results = []
        }
      }
    }
    // Like Stokt, an empty list is still one (empty) page.
    if (results.length > 0 || page === 0) yield {page: ++page, count, results}
  }

  /** The snapshot's climbs are Stokt's as of when its run read them, not as of now. */
  async climbsReadAt(): Promise<string | undefined> {
    const manifest = await this.manifest()
    return manifest?.climbsReadAt ?? manifest?.savedAt
  }

  async close(): Promise<void> {}

  /** The gym the snapshot is of, as saved: summary.json's `id` (`summary`, when already read), else the manifest's `gymId`. */
  async gymId(summary?: unknown): Promise<string | undefined> {
    const manifest = await this.manifest()
    // A run that never asked for the summary saved none: the manifest then says which gym it is.
    const served = summary ?? (manifest && !(await this.exists(SUMMARY)) ? undefined : await this.readJson(SUMMARY))
    return isRecord(served) && typeof served.id === 'string' ? served.id : manifest?.gymId
  }

  /** manifest.json when present (validated); refuses a snapshot whose save was interrupted. */
  private manifest(): Promise<SnapshotManifest | undefined> {
    this.manifestRead ??= (async () => {
      if (!(await this.exists(MANIFEST))) {
        const unfinished = (await this.exists(SAVING)) ? `${SAVING}/` : (await this.exists(CLIMBS_PARTIAL)) ? CLIMBS_PARTIAL : undefined
        if (unfinished !== undefined) {
          throw new StoktError(
            `${this.description} is incomplete: the run that saved it was interrupted (${unfinished} is there, ${MANIFEST} is not)`,
            `read ${path.join(this.dir, MANIFEST)}`,
          )
        }
        return undefined
      }
      return parseManifest(await this.readJson(MANIFEST), this)
    })()
    return this.manifestRead
  }

  private async checkGym(gymId: string, summary?: unknown): Promise<void> {
    const snapshotGym = await this.gymId(summary)
    if (snapshotGym === undefined) {
      throw new StoktError(`${this.description} does not say which gym it is (${SUMMARY} has no id)`, `read ${SUMMARY}`)
    }
    // In capitals or not, the same gym: --gym is lower-cased, an older snapshot may keep it as written.
    if (snapshotGym.toLowerCase() !== gymId.toLowerCase()) {
      throw new StoktError(`${this.description} is of gym ${snapshotGym}, not ${gymId}`, `read ${SUMMARY}`)
    }
  }

  /** A snapshot saved with a smaller max_age lacks older climbs: refuse to pass it off as more. */
  private checkCoverage(manifest: SnapshotManifest | undefined, maxAge: number, call: string): void {
    if (!manifest || manifest.maxAge === null || manifest.maxAge >= ALL_CLIMBS_MAX_AGE) return
    const savedSince = Date.parse(manifest.savedAt) - manifest.maxAge * DAY_MS
    const wantedSince = maxAge >= ALL_CLIMBS_MAX_AGE ? -Infinity : this.now.getTime() - maxAge * DAY_MS
    if (wantedSince < savedSince) {
      throw new StoktError(
        `${this.description} holds only the climbs created in the ${manifest.maxAge} days before ${manifest.savedAt}; it cannot serve max age ${maxAge}`,
        call,
      )
    }
  }

  /** climbs.json's records, a batch at a time; a missing file says whether a save was interrupted. */
  private async *climbRecords(): AsyncGenerator<unknown[]> {
    if (!(await this.exists(CLIMBS))) {
      const partial = (await this.exists(CLIMBS_PARTIAL)) ? ` (only ${CLIMBS_PARTIAL}: the save was interrupted)` : ''
      const file = path.join(this.dir, CLIMBS)
      throw await this.missingError(CLIMBS, new StoktError(`${this.description} has no ${CLIMBS}${partial}`, `read ${file}`))
    }
    yield* readClimbsFile(path.join(this.dir, CLIMBS))
  }

  private async readJson(name: string, whenMissing?: () => StoktError): Promise<unknown> {
    const file = path.join(this.dir, name)
    let text: string
    try {
      text = await fs.readFile(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw await this.missingError(name, whenMissing?.() ?? new StoktError(`${this.description} has no ${name}`, `read ${file}`))
      }
      throw new StoktError(`${this.description}: cannot read ${file}: ${(error as Error).message}`, `read ${file}`)
    }
    return parseJsonFile(text, file)
  }

  /** The error for a missing file (its status kept: a setup's is Stokt's 404), unless the whole directory is missing, which says more. */
  private async missingError(name: string, missing: StoktError): Promise<StoktError> {
    const file = path.join(this.dir, name)
    const dirExists = await fs.stat(this.dir).then(
      (stat) => stat.isDirectory(),
      () => false,
    )
    return dirExists
      ? new StoktError(`${missing.message} (${file} does not exist)`, `read ${file}`, missing.status)
      : new StoktError(`${this.description}: no such directory ${this.dir}`, `read ${file}`)
  }

  private async exists(name: string): Promise<boolean> {
    return fs.access(path.join(this.dir, name)).then(
      () => true,
      () => false,
    )
  }
}

/** Whether `dateCreated`, read as validation reads it, is older than the cutoff; an unreadable one is kept, for validation to name. */
function createdBefore(record: unknown, cutoffMs: number): boolean {
  if (!isRecord(record) || typeof record.dateCreated !== 'string') return false
  const created = toCanonicalInstant(record.dateCreated)
  return created !== undefined && Date.parse(created) < cutoffMs
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
