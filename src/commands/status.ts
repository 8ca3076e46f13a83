import {Command, Flags} from '@oclif/core'

import {DEFAULT_DATABASE, databaseFlag} from '../flags.js'
import {formatStatus} from '../lib/output/statusText.js'

export default class Status extends Command {
  static override summary = 'Show row counts and the latest import runs.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override flags = {
    database: databaseFlag,
    // Not the imports' --json: status has no summary.
    json: Flags.boolean({summary: 'Print the same as JSON, on stdout: counts, latest runs, last completed imports, running imports.', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Status)
    // The database libraries load only once a command runs: --help needs none of them.
    const {readStatus} = await import('../lib/db/admin.js')
    const result = await readStatus(flags.database ?? DEFAULT_DATABASE)
    if (!result.ok) {
      // One unwrapped line, as the imports print theirs: readable in a cron log.
      this.logToStderr(`Error: ${result.message}`)
      this.exit(result.usage ? 2 : 1)
    }
    if (result.notice) this.logToStderr(`Note: ${result.notice}`)
    this.log(flags.json ? JSON.stringify(result.status, null, 2) : formatStatus(result.status))
  }
}
