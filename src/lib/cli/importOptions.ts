import {statSync} from 'node:fs'

import {maskUrlPassword, parseDatabaseTarget} from '../db/target.js'
import {secrets} from '../common/secrets.js'
import {UsageError} from '../common/usageError.js'
import type {RetryInfo, StoktClient} from '../stokt/client.js'
import {UUID} from '../stokt/schema/common.js'
import {SnapshotSource} from '../stokt/snapshot/source.js'
import {TeeSource} from '../stokt/snapshot/tee.js'
import {SnapshotWriter} from '../stokt/snapshot/writer.js'
import type {StoktSource} from '../stokt/source.js'
import type {ImportCommand, ImportOptions} from '../import/ports.js'

/** The import flags as oclif parsed them (flag, else env var, else default). */
export interface ImportFlagValues {
  database?: string
  gym?: string
  'stokt-url': string
  token?: string
  username?: string
  password?: string
  'batch-size': number
  batch: boolean
  'dry-run': boolean
  'max-age': number
  incremental: boolean
  concurrency: number
  'page-size': number
  timeout: number
  retries: number
  'save-snapshot'?: string
  'from-snapshot'?: string
  rejects?: string
  'wait-lock': number
  'max-errors'?: number
}

export interface ConfigDefaults {
  database: string
  gym: string
}

/** Flags → one import's options: the only place defaults that depend on other flags are decided. */
export async function buildImportOptions(
  command: ImportCommand,
  flags: ImportFlagValues,
  defaults: ConfigDefaults,
  onRetry?: (info: RetryInfo) => void,
): Promise<ImportOptions> {
  registerSecrets(flags, flags.database ?? defaults.database)
  const database = parseDatabaseTarget(flags.database ?? defaults.database)
  const snapshotDir = flags['from-snapshot']
  const snapshot = snapshotDir ? new SnapshotSource(snapshotDir) : undefined
  const gymId =
    (flags.gym === undefined ? undefined : givenGymId(flags.gym)) ?? (snapshot ? await snapshotGymId(snapshot) : undefined) ?? defaults.gym
  const source = snapshot ?? (await liveSource(flags, onRetry))

  return {
    command,
    database,
    gymId,
    source,
    strategy: flags.batch ? 'batch' : 'row-by-row',
    batchSize: flags['batch-size'],
    dryRun: flags['dry-run'],
    maxAge: flags['max-age'],
    incremental: flags.incremental,
    concurrency: flags.concurrency,
    rejectsPath: flags.rejects,
    waitLockSeconds: flags['wait-lock'],
    maxErrors: flags['max-errors'],
    recordedOptions: {
      batchSize: flags['batch-size'],
      maxAge: flags['max-age'],
      source: snapshotDir ? 'snapshot' : 'stokt',
      ...(snapshotDir ? {fromSnapshot: snapshotDir} : {stoktUrl: flags['stokt-url']}),
      ...(flags['save-snapshot'] ? {saveSnapshot: flags['save-snapshot']} : {}),
      ...(flags['max-errors'] === undefined ? {} : {maxErrors: flags['max-errors']}),
      // How long a run marked waiting may wait: after that, the next run of the gym knows it dead.
      ...(flags['wait-lock'] ? {waitLock: flags['wait-lock']} : {}),
    },
  }
}

/** A gym id in capitals (or with a stray space) is still the gym: the same lock, cursor and run history. */
function givenGymId(value: string): string {
  const trimmed = value.trim()
  if (!UUID.test(trimmed)) throw new UsageError(`--gym: expected a Stokt gym id (a UUID); got "${value}"`)
  return trimmed.toLowerCase()
}

async function liveSource(flags: ImportFlagValues, onRetry?: (info: RetryInfo) => void): Promise<StoktSource> {
  const hasLogin = Boolean(flags.username) && Boolean(flags.password)
  if (!flags.token && !hasLogin) {
    throw new UsageError(
      'Stokt needs credentials: --token (STOKT_TOKEN), or --username and --password (STOKT_USERNAME, STOKT_PASSWORD). ' +
        'To import offline, use --from-snapshot DIR.',
    )
  }
  const stoktUrl = flags['stokt-url']
  // got would send them as Basic auth in place of the token, and the URL is shown and recorded.
  if (hasCredentials(stoktUrl)) {
    throw new UsageError(
      `--stokt-url: ${maskUrlPassword(stoktUrl)} carries a user name or password; give them as --username and --password (STOKT_USERNAME, STOKT_PASSWORD)`,
    )
  }
  // The HTTP client (got) only for a live source: a snapshot import never loads it.
  const {StoktClient} = await import('../stokt/client.js')
  let client: StoktClient
  try {
    client = new StoktClient({
      baseUrl: flags['stokt-url'],
      token: flags.token || undefined,
      username: hasLogin ? flags.username : undefined,
      password: hasLogin ? flags.password : undefined,
      timeoutMs: flags.timeout * 1000,
      concurrency: flags.concurrency,
      // A batch's worth of climbs ahead: Stokt serves the next batch while this one is written.
      climbsAhead: flags.batch ? flags['batch-size'] : undefined,
      pageSize: flags['page-size'],
      retries: flags.retries,
      onRetry,
    })
  } catch (error) {
    throw new UsageError(`--stokt-url: ${(error as Error).message}`)
  }
  const saveDir = flags['save-snapshot']
  // Said now, not after the whole fetch: the save would only fail when it first writes.
  if (saveDir === undefined) return client
  const problem = folderProblem(saveDir)
  if (problem !== undefined) throw new UsageError(`--save-snapshot: ${problem}`)
  return new TeeSource(client, new SnapshotWriter(saveDir))
}

/** Why `dir` cannot be the snapshot's folder (a file, or under one); undefined when it is one or can be made. */
function folderProblem(dir: string): string | undefined {
  try {
    return statSync(dir, {throwIfNoEntry: false})?.isDirectory() === false ? `${dir} is a file, not a directory` : undefined
  } catch (error) {
    return `${dir} cannot be a folder: ${(error as Error).message}`
  }
}

/** Before anything can fail: a message about the flags themselves must not show them either. */
function registerSecrets(flags: ImportFlagValues, databaseUrl: string): void {
  secrets.add(flags.token, {stokt: true})
  secrets.add(flags.password, {username: flags.username, stokt: true})
  secrets.addDatabasePasswords(databaseUrl)
}

function hasCredentials(url: string): boolean {
  try {
    const parsed = new URL(url)
    return parsed.username !== '' || parsed.password !== ''
  } catch {
    return false // not a URL at all: the client says so
  }
}

/** The gym a snapshot holds, so `--from-snapshot` needs no `--gym`; lower-cased, as --gym is. */
async function snapshotGymId(snapshot: SnapshotSource): Promise<string | undefined> {
  // Missing or broken files: the source reports them when it is read.
  return (await snapshot.gymId().catch(() => undefined))?.toLowerCase()
}
