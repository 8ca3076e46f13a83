import {readFile} from 'node:fs/promises'
import {availableParallelism, platform, release, totalmem} from 'node:os'

import Database from 'better-sqlite3'

import {POSTGRES_AVAILABLE} from '../support/databases.js'
import type {Machine} from './results.js'
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
  }
}
