import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {readdir, readFile} from 'node:fs/promises'
import {availableParallelism, loadavg, platform, release, totalmem} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import Database from 'better-sqlite3'

import {POSTGRES_AVAILABLE} from '../support/databases.js'
import type {Build, Machine} from './results.js'
import {withScratchDatabase} from './scratch.js'

/** What the numbers were measured on. */
export async function describeMachine(): Promise<Machine> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '')
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown'
  const memory = new Database(':memory:')
  const sqlite = (memory.prepare('select sqlite_version() as version').get() as {version: string}).version
  memory.close()
  const postgres = POSTGRES_AVAILABLE
    ? await withScratchDatabase('postgres', async (database) => {
        const result = await database.knex().raw('show server_version')
        return String((result.rows as {server_version: string}[])[0].server_version)
      })
    : null
  return {
    cpu,
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    sqlite,
    postgres,
    platform: `${platform()} ${release()}`,
    loadAverage: {start: loadAverage()},
  }
}

export function loadAverage(): number[] {
  return loadavg().map((load) => Math.round(load * 100) / 100)
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * Which importer was measured: the commit, whether src/ or migrations/ differ from it, and a hash
 * of the built dist/ the CLI runs. Taken at the start and at the end: in a tree others are working
 * in, a rebuild during the bench means the numbers mix two builds.
 */
export async function describeBuild(): Promise<Build> {
  const git = (args: string[]) => {
    try {
      return execFileSync('git', args, {cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
    } catch {
      return null
    }
  }
  const status = git(['status', '--porcelain', '--untracked-files=no', '--', 'src', 'migrations'])
  const hash = createHash('sha256')
  const dist = join(ROOT, 'dist')
  const files = (await readdir(dist, {recursive: true}).catch(() => [] as string[])).filter((file) => file.endsWith('.js')).sort()
  for (const file of files) hash.update(file).update(await readFile(join(dist, file)))
  return {
    commit: git(['rev-parse', '--short', 'HEAD']),
    uncommittedChanges: status === null ? null : status !== '',
    distSha256: hash.digest('hex').slice(0, 16),
  }
}
