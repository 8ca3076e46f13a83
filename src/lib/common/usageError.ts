/** A value given on the command line (or its environment variable) is wrong: exit 2, as oclif's own usage errors. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}
