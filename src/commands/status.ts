import {Errors, Flags} from '@oclif/core'

import {DEFAULT_DATABASE, databaseFlag} from '../flags.js'
import {EXIT, MastocCommand} from '../lib/cli/command.js'
import {formatStatus} from '../lib/output/statusText.js'

export default class Status extends MastocCommand {
  static override summary = 'Show row counts and the latest import runs.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --gym be149ef2 --limit 30',
    '<%= config.bin %> <%= command.id %> --json',
  ]
  static override flags = {
    database: databaseFlag,
    // Not the imports' --gym: no default, and the first characters of an id will do.
    gym: Flags.string({
      summary: 'Only this gym: its Stokt id, or its first characters (as the runs table shows them).',
      helpValue: '<id>',
      parse: async (input) => {
        // A CLIError: a usage error, exit 2, as for any flag given a wrong value.
        if (!/^[0-9a-f-]+$/i.test(input))
          throw new Errors.CLIError(`expected a Stokt gym id or its first characters (hex digits and dashes), got ${input}`)
        return input.toLowerCase()
      },
    }),
    limit: Flags.integer({summary: 'How many of the latest runs to list.', default: 10, min: 1, helpValue: '<n>'}),
    // Not the imports' --json: status has no summary.
    json: Flags.boolean({
      summary: 'Print the same as JSON, on stdout: counts, latest runs, last completed imports, running imports.',
      default: false,
    }),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Status)
    // The database libraries load only once a command runs: --help needs none of them.
    const {readStatus} = await import('../lib/db/admin.js')
    const result = await readStatus(flags.database ?? DEFAULT_DATABASE, {limit: flags.limit, gym: flags.gym})
    if (!result.ok) this.fail(result.message, EXIT.failed)
    if (result.notice) this.logToStderr(`Note: ${result.notice}`)
    this.log(flags.json ? JSON.stringify(result.status, null, 2) : formatStatus(result.status, {gym: flags.gym}))
  }
}
