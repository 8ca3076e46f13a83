import {ImportBaseCommand} from '../../lib/cli/importCommand.js'

export default class ImportClimbs extends ImportBaseCommand {
  static override summary = 'Import the climbs, with the setters and faces they need.'
  static override description =
    "Reads the gym's faces (to check every climb's holds) and every page of climbs, then writes faces, setters and climbs. " +
    'A climb that fails validation is rejected alone; the others are imported.'
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --max-age 7',
    '<%= config.bin %> <%= command.id %> --no-batch --database ./compare.db',
  ]
  protected readonly what = 'climbs'
}
