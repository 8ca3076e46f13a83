import {stat} from 'node:fs/promises'

import {Errors, Flags} from '@oclif/core'

import {ALL_CLIMBS_MAX_AGE} from './lib/stokt/source.js'

/** Flags shared by the commands, defined once. Each env var is read by oclif, flag first. */

export const MONTOBOARD_GYM_ID = 'be149ef2-317d-4c73-8d7d-50074577d2fa'
export const DEFAULT_DATABASE = './mastoc.db'
export const DEFAULT_STOKT_URL = 'https://www.sostokt.com'
/** The best of `npm run bench`'s batch-size curve on both databases (README, "Performance"). */
export const DEFAULT_BATCH_SIZE = 1000
/** Climbs asked of Stokt per page: fewer requests where each waits on the network (docs/performance.md). */
export const DEFAULT_PAGE_SIZE = 500

/**
 * A directory that must exist. oclif's own `Flags.directory({exists: true})` throws a plain Error,
 * which oclif reports as a crash (exit 1); a CLIError is a usage error: exit 2, oclif's style, as
 * for every other flag given a wrong value.
 */
const existingDirectory = Flags.custom<string>({
  async parse(input) {
    const found = await stat(input).catch(() => undefined)
    if (found === undefined) throw new Errors.CLIError(`No directory found at ${input}`)
    if (!found.isDirectory()) throw new Errors.CLIError(`${input} exists but is not a directory`)
    return input
  },
})

export const databaseFlag = Flags.string({
  summary: 'Target database: a postgres:// URL or a SQLite file path.',
  description: `A postgres:// or postgresql:// URL, or a SQLite file path (a "sqlite:" prefix is allowed). Default ${DEFAULT_DATABASE}.`,
  env: 'DATABASE_URL',
  helpValue: '<url|path>',
})

export const jsonFlag = Flags.boolean({
  summary: 'Print only the summary, as JSON, on stdout.',
  default: false,
})

export const importFlags = {
  database: databaseFlag,
  gym: Flags.string({
    summary: `Stokt gym id. Default Montoboard (${MONTOBOARD_GYM_ID}), or the snapshot's gym.`,
    env: 'MASTOC_GYM',
    helpValue: '<uuid>',
  }),
  'stokt-url': Flags.string({
    summary: "Stokt's base URL.",
    env: 'STOKT_URL',
    default: DEFAULT_STOKT_URL,
    helpValue: '<url>',
  }),
  token: Flags.string({
    summary: 'A Stokt token (prefer the STOKT_TOKEN env var: flags show in ps).',
    env: 'STOKT_TOKEN',
    helpValue: '<token>',
  }),
  username: Flags.string({
    summary: 'Stokt login email, used when no token is given.',
    env: 'STOKT_USERNAME',
    helpValue: '<email>',
  }),
  password: Flags.string({
    summary: 'Stokt password (prefer the STOKT_PASSWORD env var: flags show in ps).',
    env: 'STOKT_PASSWORD',
    helpValue: '<password>',
  }),
  'batch-size': Flags.integer({
    summary: 'Records per batch transaction (1000: the fastest of the measured curve, README "Performance").',
    default: DEFAULT_BATCH_SIZE,
    min: 1,
    max: 10_000,
  }),
  batch: Flags.boolean({
    summary: 'Batch strategy; --no-batch writes row by row (one lookup and one transaction per record).',
    default: true,
    allowNo: true,
  }),
  'dry-run': Flags.boolean({
    summary: 'Fetch, validate and compute the whole import, report it; write nothing but its line in the run history.',
    default: false,
  }),
  'max-age': Flags.integer({
    summary: 'Only climbs created in the last N days.',
    default: ALL_CLIMBS_MAX_AGE,
    min: 1,
    max: ALL_CLIMBS_MAX_AGE,
  }),
  incremental: Flags.boolean({
    summary: 'Only climbs created since the last completed climbs import (+1 day, at least 7); everything when there was none.',
    default: false,
    exclusive: ['max-age'],
  }),
  quiet: Flags.boolean({
    summary: 'Print only warnings and errors (and rejected records); for cron.',
    default: false,
    exclusive: ['json'],
  }),
  'page-size': Flags.integer({
    summary: 'Climbs asked of Stokt per page of the climbs list; Stokt may serve fewer.',
    default: DEFAULT_PAGE_SIZE,
    min: 1,
    max: 10_000,
  }),
  concurrency: Flags.integer({
    summary: 'Stokt requests in flight at once.',
    default: 4,
    min: 1,
    max: 16,
  }),
  timeout: Flags.integer({
    summary: 'Seconds to wait for one Stokt response before retrying it.',
    default: 30,
    min: 1,
    max: 600,
  }),
  retries: Flags.integer({
    summary: 'Further attempts at a Stokt call that failed in a passing way (429, 5xx, timeout, reset), with backoff.',
    default: 4,
    min: 0,
    max: 20,
  }),
  'save-snapshot': Flags.directory({
    summary: 'Also write what Stokt served to this directory (never the token).',
    helpValue: '<dir>',
    exclusive: ['from-snapshot'],
  }),
  'from-snapshot': existingDirectory({
    summary: 'Read this snapshot directory instead of Stokt: no network, no credentials.',
    helpValue: '<dir>',
  }),
  'wait-lock': Flags.integer({
    summary: 'Seconds to wait for another import of the same gym into the same database to finish.',
    default: 0,
    min: 0,
    helpValue: '<seconds>',
  }),
  rejects: Flags.file({
    summary: 'Write each rejected record, as received, with its reason, as one JSON line to this file.',
    helpValue: '<file>',
  }),
  'max-errors': Flags.integer({
    summary: 'Stop the run (exit 1) once more than N records are rejected; whole batches already written stay.',
    min: 0,
    helpValue: '<n>',
  }),
  json: jsonFlag,
}
