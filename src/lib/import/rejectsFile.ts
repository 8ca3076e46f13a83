import {closeSync, openSync, writeSync} from 'node:fs'

import type {Rejected} from './summary.js'

/**
 * `--rejects FILE`: each rejected record as received, one JSON line with its reason, written as it
 * is rejected, so that a run that fails later still leaves what it rejected for repair.
 */
export class RejectsFile {
  private readonly fd: number

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w')
  }

  append(rejected: Rejected, record: unknown): void {
    writeSync(this.fd, `${JSON.stringify({...rejected, record: record ?? null})}\n`)
  }

  close(): void {
    closeSync(this.fd)
  }
}
