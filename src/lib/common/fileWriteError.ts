/** Writing a file of the run's own (snapshot, rejects) failed: named, so that a full disk is looked for where it is. */
export class FileWriteError extends Error {
  constructor(what: string, cause: unknown) {
    super(`cannot write ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, {cause})
    this.name = 'FileWriteError'
  }
}
