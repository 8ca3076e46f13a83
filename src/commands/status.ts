import {Flags} from '@oclif/core'

import {DEFAULT_DATABASE, databaseFlag} from '../flags.js'
import {EXIT, MastocCommand} from '../lib/cli/command.js'
import {readStatus} from '../lib/db/admin.js'
import {formatStatus} from '../lib/output/statusText.js'

export default class Status extends MastocCommand {
  static override summary = 'Show row counts and the latest import runs.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --json']
  static override flags = {
    database: databaseFlag,
    // Not the imports' --json: status has no summary.
    json: Flags.boolean({summary: 'Print the same as JSON, on stdout: counts, latest runs, last completed imports, running imports.', default: false}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Status)
    const result = await readStatus(flags.database ?? DEFAULT_DATABASE)
    if (!result.ok) this.fail(result.message, result.usage ? EXIT.usage : EXIT.failed)
    if (result.notice) this.logToStderr(`Note: ${result.notice}`)
    this.log(flags.json ? JSON.stringify(result.status, null, 2) : formatStatus(result.status))
  }
}
