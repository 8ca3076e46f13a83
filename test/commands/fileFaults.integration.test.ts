import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {expectJsonError, importArgs} from '../support/cli.js'
import {runCommand} from '../support/runCommand.js'
import {createTestDatabase, type TestDatabase} from '../support/databases.js'
import {CAN_MOUNT, mountTmpfs, type MountedFolder} from '../support/fileSystems.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {latestRun} from '../support/runs.js'
import {DEFAULT_TOKEN, startStoktServer, type StoktServer} from '../support/stoktServer.js'

/**
 * A file of the run's own that cannot be written — the `--save-snapshot` folder full or read-only,
 * the `--rejects` file on a full device — fails the run (exit 1) naming that file or folder, not
 * the database, which did nothing wrong. The folders are real: small tmpfs mounts (root only).
 */

const GYM_SPEC = {seed: 53, faces: 2, holdsPerFace: 60, climbs: 150, setters: 6}

describe('a file of the run that cannot be written', () => {
  let gym: GeneratedGym
  let server: StoktServer
  let scratch: string
  const cleanups: (() => Promise<void> | void)[] = []

  beforeAll(async () => {
    gym = generateGym(GYM_SPEC)
    // A climb Stokt serves broken: the run rejects it, and writes it to --rejects.
    gym.climbs[0] = {...gym.climbs[0], holdsList: `${gym.climbs[0].holdsList} Q8291`}
    server = await startStoktServer({gym, pageSize: 25})
    scratch = mkdtempSync(join(tmpdir(), 'mastoc-filefaults-'))
  })
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  afterAll(async () => {
    await server?.close()
    rmSync(scratch, {recursive: true, force: true})
  })

  const freshDatabase = async (): Promise<TestDatabase> => {
    const database = await createTestDatabase('sqlite')
    cleanups.push(() => database.drop())
    return database
  }
  const tmpfs = (sizeKiB: number): MountedFolder => {
    const folder = mountTmpfs(sizeKiB)
    cleanups.push(() => folder.dispose())
    return folder
  }
  const importAll = (database: TestDatabase, flags: string[]) =>
    runCommand(importArgs(server, gym, database, ['--json', ...flags]), {STOKT_TOKEN: DEFAULT_TOKEN})

  it.skipIf(!CAN_MOUNT)(
    '--save-snapshot into a full folder: exit 1 naming the snapshot folder, ENOSPC; the run recorded failed so',
    async () => {
      const database = await freshDatabase()
      const full = tmpfs(64)

      const result = await importAll(database, ['--save-snapshot', full.path])

      expect(result.code).toBe(1)
      expectJsonError(result)
      expect(result.stderr).toMatch(
        new RegExp(`^Error: cannot write the snapshot in ${full.path}: ENOSPC: no space left on device, \\w+\\n$`),
      )
      expect(result.stderr).not.toContain('database')
      expect((await latestRun(database.knex())).error).toBe(result.stderr.slice('Error: '.length, -1))
    },
  )

  it.skipIf(!CAN_MOUNT)('--save-snapshot into a read-only folder: exit 1 naming the snapshot folder, EROFS', async () => {
    const database = await freshDatabase()
    const readOnly = tmpfs(1024)
    readOnly.makeReadOnly()

    const result = await importAll(database, ['--save-snapshot', readOnly.path])

    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(new RegExp(`^Error: cannot write the snapshot in ${readOnly.path}: EROFS: read-only file system, .*\\n$`))
    expect(result.stderr).not.toContain('database')
  })

  it('--save-snapshot that cannot be finished at the end of the run: exit 1 naming the snapshot folder, the run recorded failed', async () => {
    const database = await freshDatabase()
    const dir = join(scratch, 'unfinishable')
    // Where the finished snapshot's manifest must go, a folder of someone else's: the save's last step fails.
    mkdirSync(join(dir, 'manifest.json', 'theirs'), {recursive: true})

    const result = await importAll(database, ['--save-snapshot', dir])

    expect(result.code).toBe(1)
    expectJsonError(result)
    // The gym's broken climb is listed first, as a stopped run lists what it had rejected.
    const error = /\nError: (cannot write the snapshot in .*)\n$/.exec(result.stderr)?.[1]
    expect(error).toMatch(new RegExp(`^cannot write the snapshot in ${dir}: `))
    expect(await latestRun(database.knex())).toMatchObject({status: 'failed', error})
  })

  it('--rejects on a full device (/dev/full): exit 1 naming the rejects file, ENOSPC', async () => {
    const database = await freshDatabase()

    const result = await importAll(database, ['--rejects', '/dev/full'])

    expect(result.code).toBe(1)
    expectJsonError(result)
    // The rejected climb is still listed on stderr, before the error.
    expect(result.stderr).toMatch(/\nError: cannot write the rejects file \/dev\/full: ENOSPC: no space left on device, write\n$/)
    expect(result.stderr).not.toContain('the database')
  })
})
