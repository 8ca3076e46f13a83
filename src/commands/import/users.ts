import {ImportBaseCommand} from '../../lib/cli/importCommand.js'

export default class ImportUsers extends ImportBaseCommand {
  static override summary = "Import the setters found in the gym's climbs."
  static override description =
    'Stokt has no list of users: the setters of a gym are the distinct climbSetters of its climbs. ' +
    'Reads every page of climbs and writes each setter once.'
  static override examples = ['<%= config.bin %> <%= command.id %>', '<%= config.bin %> <%= command.id %> --max-age 30 --json']
  protected readonly what = 'users'
}
