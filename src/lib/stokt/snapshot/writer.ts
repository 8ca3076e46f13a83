import fs from 'node:fs/promises'
import path from 'node:path'
import {FileWriteError} from '../../common/fileWriteError.js'
import {secrets} from '../../common/secrets.js'
import {jsonText} from '../jsonText.js'
import {
  CLIMBS,
  CLIMBS_PARTIAL,
  isSnapshotFile,
  MANIFEST,
  SAVING,
  setupFileName,
  SNAPSHOT_FORMAT,
  SNAPSHOT_VERSION,
  SUMMARY,
  WALLS,
} from './layout.js'
import type {SnapshotManifest} from './manifest.js'

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

/** Writes a snapshot directory, in `.saving/` until finished (see layout.ts). */
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
      await file.write(this.asServed(separator + lines.join(',\n')))
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
    try {
      await file.write(this.climbCount === 0 ? ']\n' : '\n]\n')
    } finally {
      // Closed even when the write fails (a full disk): abandon() no longer will.
      await file.close()
    }
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
   * The finished save replaces the previous snapshot's files, never anything else: old manifest first,
   * new one last, so that a crash in between reads as interrupted.
   */
  private async publish(): Promise<void> {
    await fs.rm(path.join(this.dir, MANIFEST), {force: true})
    for (const name of await fs.readdir(this.dir)) {
      if (isSnapshotFile(name)) await fs.rm(path.join(this.dir, name), {force: true})
    }
    const saved = (await fs.readdir(this.saving)).filter((name) => name !== MANIFEST)
    for (const name of [...saved, MANIFEST]) await fs.rename(path.join(this.saving, name), path.join(this.dir, name))
    await fs.rmdir(this.saving)
  }

  /** Once, before the first write: the directory, a fresh `.saving/` in it (an interrupted save's goes), climbs.json.partial. */
  private prepare(): Promise<fs.FileHandle> {
    if (this.finished) return Promise.reject(new Error(`snapshot ${this.dir} is already finished`))
    this.prepared ??= (async () => {
      await fs.mkdir(this.dir, {recursive: true})
      await fs.rm(this.saving, {recursive: true, force: true})
      await fs.mkdir(this.saving)
      const file = await fs.open(path.join(this.saving, CLIMBS_PARTIAL), 'w')
      try {
        await file.write('[\n')
      } catch (error) {
        await file.close()
        throw error
      }
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
    await fs.writeFile(path.join(this.saving, name), `${this.asServed(prettyJsonText(value))}\n`)
  }

  /** What Stokt served, kept as it is: masked, a snapshot would no longer be what was served; one that holds a Stokt secret is refused. */
  private asServed(text: string): string {
    if (secrets.holdsStoktSecret(text)) {
      throw new Error('what Stokt served holds the token or password given to this run, which a snapshot never keeps')
    }
    return text
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
