import {ImportBaseCommand} from '../../lib/cli/importCommand.js'

export default class ImportAll extends ImportBaseCommand {
  static override summary = 'Import everything: the gym, faces, holds, setters and climbs, fetching each once.'
  static override description =
    'The usual command. Exit codes: 0 all imported; 1 the run failed (only whole batches were committed); ' +
    '2 usage error; 3 completed, but some records were rejected (listed in the summary).'
  static override examples = [
    '<%= config.bin %> <%= command.id %> --batch-size 100',
    'STOKT_USERNAME=me@example.com STOKT_PASSWORD=… DATABASE_URL=postgres://mastoc@localhost/mastoc <%= config.bin %> <%= command.id %>',
    '<%= config.bin %> <%= command.id %> --save-snapshot ./snapshots/$(date +%F)',
    '<%= config.bin %> <%= command.id %> --from-snapshot test/fixtures/sample-gym --database ./sample.db',
    '<%= config.bin %> <%= command.id %> --dry-run --json',
  ]
  protected readonly what = 'all'
}
