import {stat} from 'node:fs/promises'

import {Errors, Flags} from '@oclif/core'

import {ALL_CLIMBS_MAX_AGE} from './lib/stokt/source.js'

/** Flags shared by the commands, defined once, in the groups --help shows them in; each env var read by oclif, flag first. */

export const MONTOBOARD_GYM_ID = 'be149ef2-317d-4c73-8d7d-50074577d2fa'
export const DEFAULT_DATABASE = './mastoc.db'
export const DEFAULT_STOKT_URL = 'https://www.sostokt.com'
/** The best of `npm run bench`'s batch-size curve on both databases (docs/performance.md). */
export const DEFAULT_BATCH_SIZE = 1000
/** Climbs asked of Stokt per page: fewer requests where each waits on the network (docs/performance.md). */
export const DEFAULT_PAGE_SIZE = 500

/** A directory that must exist: oclif's own `Flags.directory({exists: true})` throws a plain Error (exit 1, not 2). */
const existingDirectory = Flags.custom<string>({
  async parse(input) {
    const found = await stat(input).catch(() => undefined)
    if (found === undefined) throw new Errors.CLIError(`No directory found at ${input}`)
    if (!found.isDirectory()) throw new Errors.CLIError(`${input} exists but is not a directory`)
    return input
  },
})

export const databaseFlag = Flags.string({
  helpGroup: 'DATABASE',
  summary: 'Target database: a postgres:// URL or a SQLite file path.',
  description: `A postgres:// or postgresql:// URL, or a SQLite file path (a "sqlite:" prefix is allowed). Default ${DEFAULT_DATABASE}.`,
  env: 'DATABASE_URL',
  helpValue: '<url|path>',
})

export const jsonFlag = Flags.boolean({
  helpGroup: 'OUTPUT',
  summary: 'Print only the summary, as JSON, on stdout; a failure prints {"error": {"message", "exitCode"}} there.',
  default: false,
})

export const importFlags = {
  gym: Flags.string({
    helpGroup: 'STOKT',
    summary: `Stokt gym id. Default Montoboard (${MONTOBOARD_GYM_ID}), or the snapshot's gym.`,
    env: 'MASTOC_GYM',
    helpValue: '<uuid>',
  }),
  'stokt-url': Flags.string({
    helpGroup: 'STOKT',
    summary: "Stokt's base URL.",
    env: 'STOKT_URL',
    default: DEFAULT_STOKT_URL,
    helpValue: '<url>',
  }),
  token: Flags.string({
    helpGroup: 'STOKT',
    summary: 'A Stokt token (prefer the STOKT_TOKEN env var: flags show in ps).',
    env: 'STOKT_TOKEN',
    helpValue: '<token>',
  }),
  username: Flags.string({
    helpGroup: 'STOKT',
    summary: 'Stokt login email, used when no token is given.',
    env: 'STOKT_USERNAME',
    helpValue: '<email>',
  }),
  password: Flags.string({
    helpGroup: 'STOKT',
    summary: 'Stokt password (prefer the STOKT_PASSWORD env var: flags show in ps).',
    env: 'STOKT_PASSWORD',
    helpValue: '<password>',
  }),
  'page-size': Flags.integer({
    helpGroup: 'STOKT',
    summary: 'Climbs asked of Stokt per page of the climbs list; Stokt may serve fewer.',
    default: DEFAULT_PAGE_SIZE,
    min: 1,
    max: 10_000,
  }),
  concurrency: Flags.integer({
    helpGroup: 'STOKT',
    summary: 'Stokt requests in flight at once.',
    default: 4,
    min: 1,
    max: 16,
  }),
  timeout: Flags.integer({
    helpGroup: 'STOKT',
    summary: 'Seconds to wait for one Stokt response before retrying it.',
    default: 30,
    min: 1,
    max: 600,
  }),
  retries: Flags.integer({
    helpGroup: 'STOKT',
    summary: 'Further attempts at a Stokt call that failed in a passing way (429, 5xx, timeout, reset), with backoff.',
    default: 4,
    min: 0,
    max: 20,
  }),
  'save-snapshot': Flags.directory({
    helpGroup: 'STOKT',
    summary: 'Also write what Stokt served to this directory (never the token).',
    helpValue: '<dir>',
    exclusive: ['from-snapshot'],
  }),
  'from-snapshot': existingDirectory({
    helpGroup: 'STOKT',
    summary: 'Read this snapshot directory instead of Stokt: no network, no credentials.',
    helpValue: '<dir>',
  }),
  database: databaseFlag,
  'batch-size': Flags.integer({
    helpGroup: 'DATABASE',
    summary: 'Records per batch transaction (1000: among the fastest measured, docs/performance.md).',
    default: DEFAULT_BATCH_SIZE,
    min: 1,
    max: 10_000,
  }),
  batch: Flags.boolean({
    helpGroup: 'DATABASE',
    summary: 'Batch strategy; --no-batch writes row by row (one lookup and one transaction per record); --batch-size with it warns.',
    default: true,
    allowNo: true,
  }),
  'wait-lock': Flags.integer({
    helpGroup: 'DATABASE',
    summary: 'Seconds to wait for another import of the same gym into the same database to finish.',
    default: 0,
    min: 0,
    helpValue: '<seconds>',
  }),
  json: jsonFlag,
  quiet: Flags.boolean({
    helpGroup: 'OUTPUT',
    summary: 'Print only warnings and errors (and rejected records); for cron.',
    default: false,
    exclusive: ['json'],
  }),
  'log-file': Flags.file({
    helpGroup: 'OUTPUT',
    summary: "Append the run's timestamped lines to this file (its folder made if missing); print only what a failed run says. For cron.",
    helpValue: '<file>',
    exclusive: ['json', 'quiet'],
  }),
  rejects: Flags.file({
    helpGroup: 'OUTPUT',
    summary: 'Write each rejected record, as received, with its reason, as one JSON line to this file.',
    helpValue: '<file>',
  }),
  'dry-run': Flags.boolean({
    helpGroup: 'BEHAVIOUR',
    summary: 'Fetch, validate and compute the whole import, report it; write nothing but its line in the run history.',
    default: false,
  }),
  'max-age': Flags.integer({
    helpGroup: 'BEHAVIOUR',
    summary: 'Only climbs created in the last N days.',
    default: ALL_CLIMBS_MAX_AGE,
    min: 1,
    max: ALL_CLIMBS_MAX_AGE,
  }),
  incremental: Flags.boolean({
    helpGroup: 'BEHAVIOUR',
    summary: 'Only climbs created since the last completed climbs import (+1 day, at least 7); everything when there was none.',
    default: false,
    exclusive: ['max-age'],
  }),
  'max-errors': Flags.integer({
    helpGroup: 'BEHAVIOUR',
    summary: 'Stop the run (exit 1) once more than N records are rejected; whole batches already written stay.',
    min: 0,
    helpValue: '<n>',
  }),
}
