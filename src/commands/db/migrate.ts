import {DEFAULT_DATABASE, databaseFlag} from '../../flags.js'
import {EXIT, MastocCommand} from '../../lib/cli/command.js'

export default class DbMigrate extends MastocCommand {
  static override summary = "Create or update mastoc's tables in the database."
  static override description = 'Imports run this first by themselves; use it to prepare a database ahead of time.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --database postgres://mastoc@localhost:5432/mastoc',
  ]
  static override flags = {database: databaseFlag}

  async run(): Promise<void> {
    const {flags} = await this.parse(DbMigrate)
    // The database libraries load only once a command runs: --help needs none of them.
    const {migrateDatabase} = await import('../../lib/db/admin.js')
    const result = await migrateDatabase(flags.database ?? DEFAULT_DATABASE)
    if (!result.ok) this.fail(result.message, EXIT.failed)
    this.log(result.message)
  }
}
