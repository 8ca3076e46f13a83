/**
 * A value given on the command line (or in the environment variable that stands for a flag) is
 * wrong: the command exits 2, as for oclif's own usage errors (cli/command.ts).
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}
