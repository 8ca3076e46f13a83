import {ImportBaseCommand} from '../../lib/cli/importCommand.js'

export default class ImportHolds extends ImportBaseCommand {
  static override summary = 'Import the gym, its faces and every hold with its polygons.'
  static override description =
    "Reads the gym's summary, walls and each face's setup from Stokt (or a snapshot) and writes the gym, its faces and their holds. " +
    'Re-running is safe: unchanged records are not written.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --database postgres://mastoc@db.example.com/mastoc --gym be149ef2-317d-4c73-8d7d-50074577d2fa',
    '<%= config.bin %> <%= command.id %> --from-snapshot ./snapshots/montoboard --dry-run',
  ]
  protected readonly what = 'holds'
}
