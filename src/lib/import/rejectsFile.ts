import {closeSync, openSync, writeSync} from 'node:fs'

import {secrets} from '../common/secrets.js'
import {jsonText} from '../stokt/jsonText.js'
import {FileWriteError} from '../common/fileWriteError.js'
import type {Rejected} from './summary.js'

/**
 * `--rejects FILE`: each rejected record as received, a JSON line with its reason, written at once (a
 * run failing later still leaves them). Emptied at the first reject, or at the end of a clean run.
 */
export class RejectsFile {
  private fd?: number

  constructor(readonly path: string) {
    // Writable, checked now rather than at the first reject; nothing in it is changed yet.
    closeSync(openSync(path, 'a'))
  }

  append(rejected: Rejected, record: unknown): void {
    const line = `${secrets.mask(jsonText({...rejected, record: record ?? null}))}\n`
    this.writing(() => writeSync(this.opened(), line))
  }

  /** The run completed: the file holds its rejects, and none if it rejected nothing. */
  complete(): void {
    this.writing(() => this.opened())
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  /** A full disk or a file no longer writable is this file's failure, and says so. */
  private writing(work: () => unknown): void {
    try {
      work()
    } catch (error) {
      throw new FileWriteError(`the rejects file ${this.path}`, error)
    }
  }

  private opened(): number {
    this.fd ??= openSync(this.path, 'w')
    return this.fd
  }
}
