import {execFile} from 'node:child_process'
import {cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import {afterAll, describe, expect, it} from 'vitest'

/**
 * How an ops box installs mastoc: `npm pack`, then `npm install -g --omit=dev` of the tarball,
 * with no TypeScript and no dev dependencies. It reaches the npm registry, and better-sqlite3 may
 * compile: minutes, not seconds.
 */

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const LEFT_OUT = new Set(['node_modules', 'dist', '.git', 'bench-results', '.snapshots', 'oclif.manifest.json'])
const INSTALL_TIMEOUT_MS = 20 * 60_000

describe('installing mastoc as an ops box does', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'mastoc-pack-'))
  afterAll(() => rmSync(scratch, {recursive: true, force: true}))

  it(
    'installs with npm install -g --omit=dev into a fresh prefix, and imports the sample it ships',
    async () => {
      // Packed from a copy: prepack rebuilds dist/, which the other tests' CLI runs are reading.
      const source = join(scratch, 'source')
      cpSync(ROOT, source, {recursive: true, filter: (path) => !isLeftOut(path)})
      symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'))
      await run('npm', ['pack', '--pack-destination', scratch], {cwd: source, timeout: INSTALL_TIMEOUT_MS})
      const {version} = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {version: string}
      const tarball = join(scratch, `mastoc-${version}.tgz`)

      const prefix = join(scratch, 'prefix')
      await run('npm', ['install', '-g', '--omit=dev', '--no-audit', '--no-fund', '--prefix', prefix, tarball], {
        cwd: scratch,
        timeout: INSTALL_TIMEOUT_MS,
      })
      const installed = join(prefix, 'lib', 'node_modules', 'mastoc')
      expect(existsSync(join(installed, 'oclif.manifest.json'))).toBe(true)
      expect(existsSync(join(installed, 'node_modules', 'typescript'))).toBe(false)
      expect(existsSync(join(installed, 'LICENSE'))).toBe(true)
      expect(existsSync(join(installed, 'CHANGELOG.md'))).toBe(true)

      const mastoc = join(prefix, 'bin', 'mastoc')
      const env = {PATH: process.env.PATH ?? '', HOME: scratch}
      const versionLine = await run(mastoc, ['--version'], {cwd: scratch, env})
      expect(versionLine.stdout).toMatch(new RegExp(`^mastoc/${version.replaceAll('.', '\\.')} `))

      const sample = join(installed, 'test', 'fixtures', 'sample-gym')
      const imported = await run(mastoc, ['import', 'all', '--from-snapshot', sample, '--database', join(scratch, 'x.db'), '--json'], {
        cwd: scratch,
        env,
      })
      expect(imported.stderr).toBe('')
      const summary = JSON.parse(imported.stdout) as {climbs: {created: number; errors: number}}
      expect(summary.climbs).toMatchObject({created: 400, errors: 0})
    },
    INSTALL_TIMEOUT_MS * 2,
  )

  it(
    'a clone installs with npm ci --omit=dev (no TypeScript: prepare builds nothing, and says so)',
    async () => {
      const clone = join(scratch, 'clone')
      cpSync(ROOT, clone, {recursive: true, filter: (path) => !isLeftOut(path)})
      const installed = await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], {cwd: clone, timeout: INSTALL_TIMEOUT_MS})
      expect(installed.stderr).toContain('dev dependencies not installed, dist/ not built')
      expect(existsSync(join(clone, 'node_modules', 'typescript'))).toBe(false)

      // Not built: it says how to get a build, rather than oclif's "command not found".
      const unbuilt = await run(process.execPath, [join(clone, 'bin', 'run.js'), '--version'], {cwd: clone}).then(
        (result) => ({code: 0, stderr: result.stderr}),
        (error: {code: number; stderr: string}) => error,
      )
      expect(unbuilt.code).toBe(1)
      expect(unbuilt.stderr).toContain('mastoc is not built (no dist/)')
    },
    INSTALL_TIMEOUT_MS,
  )
})

function isLeftOut(path: string): boolean {
  const [first] = relative(ROOT, path).split('/')
  return LEFT_OUT.has(first) || /\.(db|db-wal|db-shm|tgz)$/.test(path)
}
