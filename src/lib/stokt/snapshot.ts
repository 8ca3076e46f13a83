/**
 * Snapshots: what Stokt served for one gym, saved to a directory and read back instead of Stokt.
 *
 * Layout of a snapshot directory:
 * - `summary.json`, `walls.json`, `setup-<faceId>.json`: the payloads as served.
 * - `climbs.json`: a JSON array of every climb record in page order (the pages' `results`, concatenated).
 *   Written one record per line (`[`, records joined by `,\n`, `]`) so it stays valid JSON and can
 *   be streamed; any other valid JSON array (pretty-printed, one line) reads too.
 * - `manifest.json`: {@link SnapshotManifest}, written last. Optional when reading, so a directory
 *   laid out by hand (summary, walls, setups, climbs.json) reads as a snapshot.
 *
 * An interrupted save never reads as complete, and never costs the snapshot already there: the
 * writer saves into `.saving/` inside the directory (`climbs.json.partial` first, renamed to
 * `climbs.json` once the manifest is written there), and only a finished save replaces the
 * directory's snapshot files with its own, the manifest last. A directory with no manifest but a
 * `.saving/` (or, as saved before, a `climbs.json.partial`) is refused as interrupted, and one with
 * a manifest but no `climbs.json` serves no climbs.
 *
 * A snapshot saved by a run that never read the climbs (`import holds`) has an empty `climbs.json`
 * and `"complete": {"climbs": false}` in its manifest; reading its climbs is refused rather than
 * served as "this gym has no climbs".
 */
import {createReadStream} from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import {FileWriteError} from '../import/fileWriteError.js'
import {toCanonicalInstant} from '../import/instant.js'
import {secrets} from '../output/secrets.js'
import {jsonText} from './jsonText.js'
import {ALL_CLIMBS_MAX_AGE, StoktError, type ClimbsPage, type StoktSource} from './source.js'

export const SNAPSHOT_FORMAT = 'mastoc-stokt-snapshot'
export const SNAPSHOT_VERSION = 1
export {ALL_CLIMBS_MAX_AGE}

export interface SnapshotManifest {
  format: typeof SNAPSHOT_FORMAT
  version: typeof SNAPSHOT_VERSION
  gymId: string
  /** When the snapshot was finished (ISO 8601, UTC). */
  savedAt: string
  /** The `max_age` the climbs were fetched with; null when climbs were not read. */
  maxAge: number | null
  /** Pages of climbs read from Stokt. */
  pages: number
  /** Climb records in climbs.json. */
  climbs: number
  /**
   * The `count` Stokt announced on the last page read; absent in a snapshot saved before it was
   * kept, or whose run never read the climbs. Not `climbs`: climbs.json keeps a climb Stokt served
   * twice (the list moving while paged, or read twice) twice.
   */
  count?: number
  /**
   * When the saving run began reading the climbs (ISO 8601, UTC): what the snapshot holds is
   * Stokt's list as of then. Absent in a snapshot saved before it was kept (`savedAt` then).
   */
  climbsReadAt?: string
  /** False when the run that saved the snapshot never read the climbs: climbs.json is then empty. */
  complete: {climbs: boolean}
}

export interface FinishOptions {
  gymId: string
  maxAge: number | null
  pages: number
  /** Stokt's `count` on the last page read, if any. */
  count?: number
  /** When the climbs began to be read, if they were. */
  climbsReadAt?: string
  /** Default true; false records a snapshot whose run never read the climbs. */
  climbsComplete?: boolean
}

const MANIFEST = 'manifest.json'
const SUMMARY = 'summary.json'
const WALLS = 'walls.json'
const CLIMBS = 'climbs.json'
const CLIMBS_PARTIAL = 'climbs.json.partial'
/** Where a save in progress writes, inside the snapshot directory (the same file system: renames). */
const SAVING = '.saving'
const NEWLINE = 0x0a
const DAY_MS = 86_400_000

/**
 * Files a writer replaces in its directory: exactly the names a snapshot's files have (a face's
 * setup is named by its UUID). Anything else there (`setup-instructions.json`, an editor's
 * `walls.json.tmp`) is someone else's, and stays.
 */
const SNAPSHOT_FILE = /^(manifest|summary|walls|climbs)\.json$|^setup-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.json$/i

function setupFileName(faceId: string): string | undefined {
  // A face id becomes a file name: refuse anything that could step out of the directory.
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(faceId) ? `setup-${faceId}.json` : undefined
}

/** Writes a snapshot directory; see the module comment for the layout and its guarantees. */
export class SnapshotWriter {
  private prepared?: Promise<fs.FileHandle>
  private climbCount = 0
  private finished = false
  private readonly saving: string

  constructor(readonly dir: string) {
    this.saving = path.join(dir, SAVING)
  }

  async writeSummary(summary: unknown): Promise<void> {
    await this.namingTheSnapshot(() => this.writeJsonFile(SUMMARY, summary))
  }

  async writeWalls(walls: unknown): Promise<void> {
    await this.namingTheSnapshot(() => this.writeJsonFile(WALLS, walls))
  }

  async writeSetup(faceId: string, setup: unknown): Promise<void> {
    const name = setupFileName(faceId)
    if (!name) throw new Error(`cannot save the setup of face "${faceId}": not a usable file name`)
    await this.namingTheSnapshot(() => this.writeJsonFile(name, setup))
  }

  /** Appends a page's records to climbs.json (streamed to disk, one record per line). */
  async appendClimbs(records: readonly unknown[]): Promise<void> {
    await this.namingTheSnapshot(async () => {
      const file = await this.prepare()
      if (records.length === 0) return
      const lines = records.map((record) => jsonText(record))
      const separator = this.climbCount === 0 ? '' : ',\n'
      await file.write(secrets.mask(separator + lines.join(',\n')))
      this.climbCount += records.length
    })
  }

  /** Closes climbs.json, writes manifest.json, and puts the save in the directory's place. */
  finish(options: FinishOptions): Promise<SnapshotManifest> {
    return this.namingTheSnapshot(() => this.finishSaving(options))
  }

  private async finishSaving(options: FinishOptions): Promise<SnapshotManifest> {
    const file = await this.prepare()
    this.finished = true
    await file.write(this.climbCount === 0 ? ']\n' : '\n]\n')
    await file.close()
    const manifest: SnapshotManifest = {
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      gymId: options.gymId,
      savedAt: new Date().toISOString(),
      maxAge: options.maxAge,
      pages: options.pages,
      climbs: this.climbCount,
      ...(options.count === undefined ? {} : {count: options.count}),
      ...(options.climbsReadAt === undefined ? {} : {climbsReadAt: options.climbsReadAt}),
      complete: {climbs: options.climbsComplete ?? true},
    }
    await this.writeJson(MANIFEST, manifest)
    await fs.rename(path.join(this.saving, CLIMBS_PARTIAL), path.join(this.saving, CLIMBS))
    await this.publish()
    return manifest
  }

  /** Stops writing without finishing: the directory keeps the snapshot it had, if any. */
  async abandon(): Promise<void> {
    if (this.finished || !this.prepared) return
    this.finished = true
    const file = await this.prepared.catch(() => undefined)
    await file?.close()
  }

  /**
   * The finished save replaces the directory's snapshot files (a previous snapshot's, never
   * anything else). The old manifest goes first and the new one comes last: a crash in between
   * leaves a directory without manifest beside `.saving/`, which reads as interrupted.
   */
  private async publish(): Promise<void> {
    await fs.rm(path.join(this.dir, MANIFEST), {force: true})
    for (const name of await fs.readdir(this.dir)) {
      if (SNAPSHOT_FILE.test(name)) await fs.rm(path.join(this.dir, name), {force: true})
    }
    const saved = (await fs.readdir(this.saving)).filter((name) => name !== MANIFEST)
    for (const name of [...saved, MANIFEST]) await fs.rename(path.join(this.saving, name), path.join(this.dir, name))
    await fs.rmdir(this.saving)
  }

  /**
   * Once, before the first write: makes the directory and a fresh `.saving/` in it (what an
   * interrupted save left there goes), and opens climbs.json.partial there.
   */
  private prepare(): Promise<fs.FileHandle> {
    if (this.finished) return Promise.reject(new Error(`snapshot ${this.dir} is already finished`))
    this.prepared ??= (async () => {
      await fs.mkdir(this.dir, {recursive: true})
      await fs.rm(this.saving, {recursive: true, force: true})
      await fs.mkdir(this.saving)
      const file = await fs.open(path.join(this.saving, CLIMBS_PARTIAL), 'w')
      await file.write('[\n')
      return file
    })()
    return this.prepared
  }

  /** A full disk or a folder that cannot be written is the snapshot's failure, named as such. */
  private async namingTheSnapshot<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      throw new FileWriteError(`the snapshot in ${this.dir}`, error)
    }
  }

  private async writeJsonFile(name: string, value: unknown): Promise<void> {
    await this.prepare()
    await this.writeJson(name, value)
  }

  private async writeJson(name: string, value: unknown): Promise<void> {
    await fs.writeFile(path.join(this.saving, name), `${secrets.mask(prettyJsonText(value))}\n`)
  }
}

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
    const missing = () =>
      new StoktError(`${this.description} has no setup for face ${faceId}`, `read setup of face ${faceId}`, 404)
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
    for await (const records of this.climbRecords(call)) {
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
      return this.parseManifest(await this.readJson(MANIFEST))
    })()
    return this.manifestRead
  }

  private parseManifest(value: unknown): SnapshotManifest {
    const call = `read ${path.join(this.dir, MANIFEST)}`
    const invalid = (why: string) => new StoktError(`${this.description}: ${MANIFEST} ${why}`, call)
    if (!isRecord(value) || value.format !== SNAPSHOT_FORMAT) throw invalid(`is not a ${SNAPSHOT_FORMAT} manifest`)
    if (value.version !== SNAPSHOT_VERSION) {
      throw invalid(`has version ${JSON.stringify(value.version)}; this mastoc reads version ${SNAPSHOT_VERSION}`)
    }
    if (typeof value.gymId !== 'string') throw invalid('has no gymId')
    if (typeof value.savedAt !== 'string' || Number.isNaN(Date.parse(value.savedAt))) throw invalid('has no savedAt date')
    if (value.maxAge !== null && typeof value.maxAge !== 'number') throw invalid('has no maxAge')
    if (typeof value.pages !== 'number' || typeof value.climbs !== 'number') throw invalid('has no pages or climbs count')
    if (value.count !== undefined && (typeof value.count !== 'number' || !Number.isInteger(value.count) || value.count < 0)) {
      throw invalid('has a count that is not a whole number')
    }
    if (value.climbsReadAt !== undefined && (typeof value.climbsReadAt !== 'string' || Number.isNaN(Date.parse(value.climbsReadAt)))) {
      throw invalid('has a climbsReadAt that is not a date')
    }
    const complete = isRecord(value.complete) ? value.complete : {}
    return {
      format: SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      gymId: value.gymId,
      savedAt: value.savedAt,
      maxAge: value.maxAge,
      pages: value.pages,
      climbs: value.climbs,
      ...(value.count === undefined ? {} : {count: value.count}),
      ...(value.climbsReadAt === undefined ? {} : {climbsReadAt: value.climbsReadAt}),
      complete: {climbs: complete.climbs !== false},
    }
  }

  /** The gym the snapshot is of, as saved: summary.json's `id` (`summary`, when already read), else the manifest's `gymId`. */
  async gymId(summary?: unknown): Promise<string | undefined> {
    const manifest = await this.manifest()
    // A run that never asked for the summary saved none: the manifest then says which gym it is.
    const served = summary ?? (manifest && !(await this.exists(SUMMARY)) ? undefined : await this.readJson(SUMMARY))
    return isRecord(served) && typeof served.id === 'string' ? served.id : manifest?.gymId
  }

  private async checkGym(gymId: string, summary?: unknown): Promise<void> {
    const snapshotGym = await this.gymId(summary)
    if (snapshotGym === undefined) {
      throw new StoktError(`${this.description} does not say which gym it is (${SUMMARY} has no id)`, `read ${SUMMARY}`)
    }
    // In capitals or not, the same gym (--gym is lower-cased; a snapshot saved before keeps it as written).
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

  /**
   * The records of climbs.json, in order, a chunk of the file at a time: one record per line is
   * parsed as it streams in; any other layout (pretty-printed, one line) is parsed whole.
   */
  private async *climbRecords(call: string): AsyncGenerator<unknown[]> {
    const file = path.join(this.dir, CLIMBS)
    if (!(await this.exists(CLIMBS))) {
      const partial = (await this.exists(CLIMBS_PARTIAL)) ? ` (only ${CLIMBS_PARTIAL}: the save was interrupted)` : ''
      throw await this.missingError(CLIMBS, `${this.description} has no ${CLIMBS}${partial}`)
    }
    const stream = createReadStream(file, {highWaterMark: 1 << 16})
    let lineNumber = 0
    let opened = false
    let closed = false
    let recordsServed = 0
    let streamed = true
    let rest: Buffer = Buffer.alloc(0)
    /** The records of these complete lines; false when the file is not one record per line. */
    const parseLines = (lines: string[]): unknown[] | false => {
      const records: unknown[] = []
      for (const rawLine of lines) {
        lineNumber++
        const line = rawLine.trim()
        if (line === '') continue
        if (closed) throw new StoktError(`${file} has more after its closing ] (line ${lineNumber})`, call)
        if (!opened) {
          opened = line === '['
          if (!opened) return false
          continue
        }
        if (line === ']') {
          closed = true
          continue
        }
        const record = parseRecordLine(line)
        if (record === undefined) {
          // Not one record per line: a pretty-printed file shows it before any record is served.
          if (recordsServed === 0) return false
          throw new StoktError(`${file} line ${lineNumber} is not a JSON record`, call)
        }
        recordsServed++
        records.push(record.value)
      }
      return records
    }
    try {
      for await (const data of stream as AsyncIterable<Buffer>) {
        // Split on the newline bytes, then decode line by line: a newline byte is never part of a
        // multi-byte character, and this costs half of decoding the chunk and splitting the text.
        const chunk = rest.length > 0 ? Buffer.concat([rest, data]) : data
        const lines: string[] = []
        let start = 0
        for (let end = chunk.indexOf(NEWLINE, start); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
          lines.push(chunk.toString('utf8', start, end))
          start = end + 1
        }
        rest = chunk.subarray(start)
        const records = parseLines(lines)
        if (records === false) {
          streamed = false
          break
        }
        if (records.length > 0) yield records
      }
      if (streamed) {
        const records = parseLines([rest.toString('utf8')])
        if (records === false) streamed = false
        else if (records.length > 0) yield records
      }
    } finally {
      stream.destroy()
    }
    if (!streamed) {
      yield await this.wholeClimbsFile(file, call)
      return
    }
    if (!closed) throw new StoktError(`${file} ends before its closing ]: it is truncated`, call)
  }

  private async wholeClimbsFile(file: string, call: string): Promise<unknown[]> {
    const parsed = await this.readJson(CLIMBS)
    if (!Array.isArray(parsed)) throw new StoktError(`${file} is not a JSON array`, call)
    return parsed
  }

  private async readJson(name: string, whenMissing?: () => StoktError): Promise<unknown> {
    const file = path.join(this.dir, name)
    let text: string
    try {
      text = await fs.readFile(file, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw await this.missingError(name, whenMissing ? whenMissing().message : `${this.description} has no ${name}`)
      }
      throw new StoktError(`${this.description}: cannot read ${file}: ${(error as Error).message}`, `read ${file}`)
    }
    try {
      return JSON.parse(text) as unknown
    } catch (error) {
      throw new StoktError(`${file} is not valid JSON: ${(error as Error).message}`, `read ${file}`)
    }
  }

  /** The error for a missing file, unless the whole directory is missing, which says more. */
  private async missingError(name: string, message: string): Promise<StoktError> {
    const file = path.join(this.dir, name)
    const dirExists = await fs.stat(this.dir).then(
      (stat) => stat.isDirectory(),
      () => false,
    )
    return dirExists
      ? new StoktError(`${message} (${file} does not exist)`, `read ${file}`)
      : new StoktError(`${this.description}: no such directory ${this.dir}`, `read ${file}`)
  }

  private async exists(name: string): Promise<boolean> {
    return fs.access(path.join(this.dir, name)).then(
      () => true,
      () => false,
    )
  }
}

/** Passes every call through to `inner` and saves what was served to a snapshot. */
export class TeeSource implements StoktSource {
  readonly description: string
  private gymId?: string
  private maxAge: number | null = null
  private pages = 0
  /** Stokt's `count` on the last page read. */
  private count?: number
  private readingStartedAt?: string
  private climbs: 'not requested' | 'reading' | 'complete' = 'not requested'
  /** A call to `inner` failed: what was saved may lack something, so the snapshot is not finished. */
  private failed = false

  constructor(
    private readonly inner: StoktSource,
    private readonly writer: SnapshotWriter,
  ) {
    this.description = inner.description
  }

  async gymSummary(gymId: string): Promise<unknown> {
    const summary = await this.passThrough(() => this.inner.gymSummary(gymId))
    this.gymId ??= gymId
    await this.writer.writeSummary(summary)
    return summary
  }

  async walls(gymId: string): Promise<unknown> {
    const walls = await this.passThrough(() => this.inner.walls(gymId))
    this.gymId ??= gymId
    await this.writer.writeWalls(walls)
    return walls
  }

  async faceSetup(faceId: string): Promise<unknown> {
    const setup = await this.passThrough(() => this.inner.faceSetup(faceId))
    await this.writer.writeSetup(faceId, setup)
    return setup
  }

  async *climbPages(gymId: string, maxAge: number): AsyncGenerator<ClimbsPage> {
    if (this.climbs !== 'not requested') {
      // The snapshot holds the first reading of the climbs; later ones are served, not saved.
      yield* this.inner.climbPages(gymId, maxAge)
      return
    }
    this.climbs = 'reading'
    this.readingStartedAt = new Date().toISOString()
    this.gymId ??= gymId
    this.maxAge = maxAge
    const pages = this.inner.climbPages(gymId, maxAge)[Symbol.asyncIterator]()
    for (;;) {
      const next = await this.passThrough(() => pages.next())
      if (next.done) break
      await this.writer.appendClimbs(next.value.results)
      this.pages++
      if (next.value.count !== undefined) this.count = next.value.count
      yield next.value
    }
    this.climbs = 'complete'
  }

  /**
   * Finishes the snapshot when everything asked was served: climbs read to the end, or never
   * asked for (then marked so in the manifest). Otherwise leaves it marked as interrupted.
   */
  async close(): Promise<void> {
    try {
      const finishable = !this.failed && this.gymId !== undefined && this.climbs !== 'reading'
      if (finishable) {
        await this.writer.finish({
          gymId: this.gymId!,
          maxAge: this.maxAge,
          pages: this.pages,
          count: this.count,
          climbsReadAt: this.readingStartedAt,
          climbsComplete: this.climbs === 'complete',
        })
      } else {
        await this.writer.abandon()
      }
    } finally {
      await this.inner.close()
    }
  }

  private async passThrough<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      this.failed = true
      throw error
    }
  }
}

/** Indented for a person to read; on one line when nested too deep for JSON.stringify. */
function prettyJsonText(value: unknown): string {
  try {
    return JSON.stringify(value, null, 1)
  } catch (error) {
    if (error instanceof RangeError) return jsonText(value)
    throw error
  }
}

/** `{value}` for a line of the one-record-per-line form (`{…},` or `{…}`), else undefined. */
function parseRecordLine(line: string): {value: unknown} | undefined {
  const json = line.endsWith(',') ? line.slice(0, -1) : line
  try {
    return {value: JSON.parse(json) as unknown}
  } catch {
    return undefined
  }
}

/**
 * True when the record's `dateCreated` is a date-time (read as validation reads it: `+03`, a space
 * before the offset, which Date.parse refuses) older than the cutoff; an unreadable date is kept,
 * for validation to reject it by name.
 */
function createdBefore(record: unknown, cutoffMs: number): boolean {
  if (!isRecord(record) || typeof record.dateCreated !== 'string') return false
  const created = toCanonicalInstant(record.dateCreated)
  return created !== undefined && Date.parse(created) < cutoffMs
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
