import {Command, Errors} from '@oclif/core'

import {maskWrites, secrets} from '../common/secrets.js'
import {UsageError} from '../common/usageError.js'
import {closest} from './suggest.js'

/** Exit codes (README, "When things go wrong"); `partial` is not a failure: the summary says what was rejected. */
export const EXIT = {done: 0, failed: 1, usage: 2, partial: 3} as const

/** A completed import's exit code: 3 when it rejected records, for a person to look at them. */
export function importExitCode(summary: {rejected: readonly unknown[]}): 0 | 3 {
  return summary.rejected.length > 0 ? EXIT.partial : EXIT.done
}

/** A failure the command has put in words: one line on stderr, then its exit code. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message)
    this.name = 'CommandFailure'
  }
}

/**
 * mastoc's commands: output masked; a failure is one line on stderr (with --json, also `{"error"}` on
 * stdout, never empty). Exit codes are set here and nowhere else: a UsageError, from any layer, exits 2.
 */
export abstract class MastocCommand extends Command {
  override async init(): Promise<void> {
    await super.init()
    // Whatever writes to them (oclif, the reporter, a library): the one way out to a person.
    maskWrites(process.stdout)
    maskWrites(process.stderr)
    // Before parsing: oclif's own usage errors are printed before the command sees its flags.
    registerGivenSecrets(this.argv)
  }

  protected fail(message: string, exitCode: number): never {
    throw new CommandFailure(message, exitCode)
  }

  override async catch(error: Error & {oclif?: {exit?: number}}): Promise<never> {
    if (error instanceof Errors.ExitError) throw error
    const shown = isUnknownFlag(error)
      ? this.unknownFlag(error)
      : isUnexpectedArgument(error)
        ? this.unexpectedArgument(error)
        : error instanceof UsageError
          ? new CommandFailure(error.message, EXIT.usage)
          : error
    const exitCode = shown instanceof CommandFailure ? shown.exitCode : (shown.oclif?.exit ?? EXIT.failed)
    if (this.jsonRequested()) {
      const message = stripAnsi(shown.message).replace(/\nSee more help with --help$/, '')
      this.log(JSON.stringify({error: {message, exitCode}}, null, 2))
    }
    if (!(shown instanceof CommandFailure)) {
      this.noteFailure(stripAnsi(shown.message))
      throw shown // oclif's own layout, as for any oclif CLI
    }
    // One unwrapped line: readable in a cron log; no stack trace.
    this.logToStderr(`Error: ${shown.message}`)
    this.exit(exitCode)
  }

  /** A failure oclif prints in its own layout (a usage error, an unexpected one): for a command that keeps a log. */
  protected noteFailure(_message: string): void {}

  /** A mistyped flag: the nearest one, in two lines, rather than the whole usage after it. */
  private unknownFlag(error: UnknownFlagError): Errors.CLIError {
    const known = Object.entries(this.ctor.flags ?? {}).flatMap(([name, flag]) => [
      `--${name}`,
      ...((flag as {allowNo?: boolean}).allowNo ? [`--no-${name}`] : []),
    ])
    const typed = error.flags.map((flag) => flag.split('=')[0])
    const suggestions = typed.map((flag) => closest(flag, known)).filter((flag) => flag !== undefined)
    const command = [this.config.bin, ...(this.id ?? '').split(':')].join(' ')
    const didYouMean = suggestions.length > 0 ? ` Did you mean ${suggestions.join(', ')}?` : ''
    return new Errors.CLIError(
      `Nonexistent flag${typed.length === 1 ? '' : 's'}: ${typed.join(', ')}.${didYouMean} See ${command} --help`,
      {
        exit: error.oclif?.exit ?? EXIT.usage,
      },
    )
  }

  /** A word oclif has no argument for (a flag's value given twice, a typo): one line, rather than the whole usage after it. */
  private unexpectedArgument(error: UnexpectedArgumentError): Errors.CLIError {
    const command = [this.config.bin, ...(this.id ?? '').split(':')].join(' ')
    const words = error.args.map(String)
    return new Errors.CLIError(`Unexpected argument${words.length === 1 ? '' : 's'}: ${words.join(', ')}. See ${command} --help`, {
      exit: error.oclif?.exit ?? EXIT.usage,
    })
  }

  /** --json given, before any `--`, to a command that has it: as oclif's JSON mode decides. */
  private jsonRequested(): boolean {
    if (!('json' in (this.ctor.flags ?? {}))) return false
    const end = this.argv.indexOf('--')
    const json = this.argv.indexOf('--json')
    return json !== -1 && (end === -1 || json < end)
  }
}

/** oclif's NonExistentFlagsError, which @oclif/core does not export. */
type UnknownFlagError = Errors.CLIError & {flags: string[]}

function isUnknownFlag(error: Error): error is UnknownFlagError {
  return (
    error instanceof Errors.CLIError && Array.isArray((error as {flags?: unknown}).flags) && error.message.startsWith('Nonexistent flag')
  )
}

/** oclif's UnexpectedArgsError, which @oclif/core does not export. */
type UnexpectedArgumentError = Errors.CLIError & {args: unknown[]}

function isUnexpectedArgument(error: Error): error is UnexpectedArgumentError {
  return (
    error instanceof Errors.CLIError && Array.isArray((error as {args?: unknown}).args) && error.message.startsWith('Unexpected argument')
  )
}

/** The secrets on the command line and in the environment, masked before anything is printed. */
function registerGivenSecrets(argv: string[]): void {
  const given = (flag: string) => flagValuesGiven(argv, flag)
  for (const token of [...given('--token'), process.env.STOKT_TOKEN]) secrets.add(token, {stokt: true})
  const username = given('--username').at(-1) ?? process.env.STOKT_USERNAME
  for (const password of [...given('--password'), process.env.STOKT_PASSWORD]) secrets.add(password, {username, stokt: true})
  for (const database of [...given('--database'), process.env.DATABASE_URL]) secrets.addDatabasePasswords(database)
}

/** What the command line gives `flag` (`--flag VALUE` or `--flag=VALUE`), each time it is given, before oclif has parsed it. */
export function flagValuesGiven(argv: readonly string[], flag: string): (string | undefined)[] {
  return argv.flatMap((word, at) => (word === flag ? [argv[at + 1]] : word.startsWith(`${flag}=`) ? [word.slice(flag.length + 1)] : []))
}

function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, '')
}
