import type {Hook} from '@oclif/core'
import {Errors, toConfiguredId} from '@oclif/core'
import notFound from '@oclif/plugin-not-found'

import {closest} from '../lib/cli/suggest.js'

/** @oclif/plugin-not-found, its suggestion shown off a terminal too: in a script or a cron mail it named no command. */
const hook: Hook.CommandNotFound = async function (options) {
  if (process.stdin.isTTY) return notFound.call(this, options)
  try {
    return await notFound.call(this, options)
  } catch (error) {
    const candidates = [...options.config.commandIDs, ...options.config.topics.map((topic) => topic.name)]
    const suggestion = closest(
      options.id,
      candidates.filter((id) => !options.config.findCommand(id)?.hidden),
    )
    if (!(error instanceof Errors.CLIError) || suggestion === undefined) throw error
    const bin = options.config.bin
    throw new Errors.CLIError(
      `Did you mean ${bin} ${toConfiguredId(suggestion, options.config)}? Run ${bin} help for a list of available commands.`,
      {
        exit: error.oclif?.exit ?? 127,
      },
    )
  }
}

export default hook
