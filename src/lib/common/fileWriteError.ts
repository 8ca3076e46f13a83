/**
 * Writing a file of the run's own (the snapshot, the rejects file) failed: the message names that
 * file or folder, not the database, so that a full disk or a read-only folder is looked for where
 * it is. Node's message keeps its code (`ENOSPC: no space left on device, write`).
 */
export class FileWriteError extends Error {
  constructor(what: string, cause: unknown) {
    super(`cannot write ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, {cause})
    this.name = 'FileWriteError'
  }
}
