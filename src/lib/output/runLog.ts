import {closeSync, mkdirSync, openSync, writeSync} from 'node:fs'
import {dirname} from 'node:path'

import {secrets} from '../common/secrets.js'

/** `--log-file FILE`: each line appended, timestamped, masked; synchronously, so that a run exiting at once keeps its last lines. */
export class RunLog {
  private fd: number | undefined

  /** The file's folder is made when missing; else an error that names the file and why. */
  constructor(readonly path: string) {
    try {
      mkdirSync(dirname(path), {recursive: true})
      this.fd = openSync(path, 'a')
    } catch (error) {
      throw new Error(`cannot write the log file ${path}: ${(error as Error).message}`)
    }
  }

  /** Each line of `text`, after the time; blank lines (the summary's) left out. */
  write(text: string): void {
    const now = logTimestamp()
    const lines = text.split('\n').filter((line) => line.trim() !== '')
    if (lines.length > 0) this.append(lines.map((line) => `${now} ${line.trimEnd()}\n`).join(''))
  }

  /** Text whose lines already begin with their time (the progress reporter's). */
  append(text: string): void {
    if (this.fd === undefined) return
    try {
      writeSync(this.fd, secrets.mask(text))
    } catch {
      // A full disk must not fail the import: its exit code and run history still tell.
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }
}

/** 2026-11-26T03:17:42Z: the progress lines' form, so that a log reads as one. */
export function logTimestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')
}
