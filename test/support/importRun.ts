import {DEFAULT_PAGE_SIZE} from '../../src/flags.js'
import {buildImportOptions, type ImportFlagValues} from '../../src/lib/cli/importOptions.js'
import {runImport} from '../../src/lib/import/importer.js'
import {type ImportCommand, type ImportOptions, type ImportReporter, type ImportResult} from '../../src/lib/import/ports.js'
import {importExitCode} from '../../src/lib/cli/command.js'
import {DEFAULT_TOKEN, type StoktServer} from './stoktServer.js'

export type ImportFlagOverrides = Partial<ImportFlagValues>

/** The flags a user would give, as oclif would parse them, against a test server. */
export function flagsFor(server: StoktServer | undefined, database: string, overrides: ImportFlagOverrides = {}): ImportFlagValues {
  return {
    database,
    'stokt-url': server?.url ?? 'http://127.0.0.1:9',
    token: server ? DEFAULT_TOKEN : undefined,
    'batch-size': 100,
    batch: true,
    'dry-run': false,
    'max-age': 9999,
    incremental: false,
    concurrency: 4,
    'page-size': DEFAULT_PAGE_SIZE,
    timeout: 30,
    retries: 4,
    'wait-lock': 0,
    ...overrides,
  }
}

/** One import through the same service the CLI calls. */
export async function importGym(
  command: ImportCommand,
  server: StoktServer | undefined,
  database: string,
  overrides: ImportFlagOverrides = {},
  reporter?: ImportReporter,
  serviceOptions: Partial<ImportOptions> = {},
): Promise<ImportResult & {exitCode: 0 | 3}> {
  const flags = flagsFor(server, database, overrides)
  const options = await buildImportOptions(command, flags, {database, gym: 'be149ef2-317d-4c73-8d7d-50074577d2fa'})
  const result = await runImport({...options, ...serviceOptions}, reporter)
  // As the command would exit.
  return {...result, exitCode: importExitCode(result.summary)}
}
