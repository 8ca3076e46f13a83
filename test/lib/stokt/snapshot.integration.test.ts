import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {StoktClient} from '../../../src/lib/stokt/client.js'
import type {SnapshotManifest} from '../../../src/lib/stokt/snapshot/manifest.js'
import {SnapshotSource} from '../../../src/lib/stokt/snapshot/source.js'
import {TeeSource} from '../../../src/lib/stokt/snapshot/tee.js'
import {SnapshotWriter} from '../../../src/lib/stokt/snapshot/writer.js'
import {StoktError, type ClimbsPage, type StoktSource} from '../../../src/lib/stokt/source.js'
import {generateGym, type GeneratedGym} from '../../support/gymGenerator.js'
import {DEFAULT_TOKEN, startStoktServer, type StoktServer} from '../../support/stoktServer.js'

const USERNAME = 'setter@example.com'
const PASSWORD = 'correct horse'
const NOW = new Date('2026-11-01T12:00:00Z')
const DAY_MS = 86_400_000

const gym = generateGym({seed: 11, faces: 3, holdsPerFace: 15, climbs: 70, setters: 6, now: NOW})

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mastoc-snapshot-'))
  cleanups.push(() => fs.rm(dir, {recursive: true, force: true}))
  return dir
}

async function serve(): Promise<StoktServer> {
  const server = await startStoktServer({gym, pageSize: 25, now: NOW})
  cleanups.push(() => server.close())
  return server
}

function clientFor(server: StoktServer): StoktClient {
  return new StoktClient({baseUrl: server.url, username: USERNAME, password: PASSWORD, retryBaseDelayMs: 1})
}

async function allClimbs(source: StoktSource, gymId: string, maxAge = 9999): Promise<unknown[]> {
  return (await allPages(source, gymId, maxAge)).flatMap((page) => page.results)
}

async function allPages(source: StoktSource, gymId: string, maxAge = 9999): Promise<ClimbsPage[]> {
  const pages: ClimbsPage[] = []
  for await (const page of source.climbPages(gymId, maxAge)) pages.push(page)
  return pages
}

async function failure(promise: Promise<unknown>): Promise<StoktError> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  expect(error).toBeInstanceOf(StoktError)
  return error as StoktError
}

/** Reads everything an `import all` reads, through `source`. */
async function readWholeGym(source: StoktSource, gymId: string) {
  const summary = await source.gymSummary(gymId)
  const walls = await source.walls(gymId)
  const setups = new Map<string, unknown>()
  for (const faceId of gym.setups.keys()) setups.set(faceId, await source.faceSetup(faceId))
  const climbs = await allClimbs(source, gymId)
  return {summary, walls, setups, climbs}
}

/** A snapshot laid out by hand, like a gym saved before mastoc had manifests. */
async function writeHandMadeSnapshot(dir: string, generated: GeneratedGym, climbsText: string): Promise<void> {
  await fs.writeFile(path.join(dir, 'summary.json'), JSON.stringify(generated.summary, null, 1))
  await fs.writeFile(path.join(dir, 'walls.json'), JSON.stringify(generated.walls, null, 1))
  for (const [faceId, setup] of generated.setups) {
    await fs.writeFile(path.join(dir, `setup-${faceId}.json`), JSON.stringify(setup))
  }
  await fs.writeFile(path.join(dir, 'climbs.json'), climbsText)
}

async function readManifest(dir: string): Promise<SnapshotManifest> {
  return JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as SnapshotManifest
}

describe('snapshot round trip', () => {
  it('saves what Stokt served through a TeeSource, and a SnapshotSource serves it back identically', async () => {
    const server = await serve()
    const dir = await tempDir()
    const tee = new TeeSource(clientFor(server), new SnapshotWriter(dir))

    const served = await readWholeGym(tee, gym.gymId)
    await tee.close({runSucceeded: true})

    expect(served.climbs).toEqual(gym.climbs)
    const snapshot = new SnapshotSource(dir, {pageSize: 25, now: NOW})
    expect(await readWholeGym(snapshot, gym.gymId)).toEqual(served)
    expect(snapshot.description).toBe(`snapshot ${dir}`)

    const pages = await allPages(snapshot, gym.gymId)
    expect(pages.map((page) => [page.page, page.results.length, page.count])).toEqual([
      [1, 25, 70],
      [2, 25, 70],
      [3, 20, 70],
    ])

    const manifest = await readManifest(dir)
    expect(manifest).toMatchObject({
      format: 'mastoc-stokt-snapshot',
      version: 1,
      gymId: gym.gymId,
      maxAge: 9999,
      pages: 3,
      climbs: 70,
      complete: {climbs: true},
    })
    expect(Date.parse(manifest.savedAt)).not.toBeNaN()

    // One record per line, and still plain JSON.
    const climbsText = await fs.readFile(path.join(dir, 'climbs.json'), 'utf8')
    const lines = climbsText.split('\n')
    expect(lines[0]).toBe('[')
    expect(lines.slice(-2)).toEqual([']', ''])
    expect(lines).toHaveLength(70 + 3)
    expect(JSON.parse(climbsText)).toEqual(gym.climbs)

    // Nothing secret on disk, and nothing left over.
    const files = (await fs.readdir(dir)).sort()
    expect(files).toEqual(
      ['climbs.json', 'manifest.json', 'summary.json', 'walls.json', ...[...gym.setups.keys()].map((id) => `setup-${id}.json`)].sort(),
    )
    for (const file of files) {
      const text = await fs.readFile(path.join(dir, file), 'utf8')
      expect(text).not.toContain(DEFAULT_TOKEN)
      expect(text).not.toContain(PASSWORD)
    }
  })

  it('serves pages of the requested size', async () => {
    const dir = await tempDir()
    const writer = new SnapshotWriter(dir)
    await writer.writeSummary(gym.summary)
    await writer.appendClimbs(gym.climbs.slice(0, 40))
    await writer.appendClimbs(gym.climbs.slice(40))
    await writer.finish({gymId: gym.gymId, maxAge: 9999, pages: 2})

    const pages = await allPages(new SnapshotSource(dir, {pageSize: 30}), gym.gymId)

    expect(pages.map((page) => page.results.length)).toEqual([30, 30, 10])
    expect(pages.flatMap((page) => page.results)).toEqual(gym.climbs)
  })

  it('serves an empty gym as one empty page', async () => {
    const dir = await tempDir()
    const writer = new SnapshotWriter(dir)
    await writer.writeSummary(gym.summary)
    await writer.finish({gymId: gym.gymId, maxAge: 9999, pages: 1})

    expect(JSON.parse(await fs.readFile(path.join(dir, 'climbs.json'), 'utf8'))).toEqual([])
    expect(await allPages(new SnapshotSource(dir), gym.gymId)).toEqual([{page: 1, count: 0, results: []}])
  })

  it('replaces a previous snapshot in the same directory', async () => {
    const dir = await tempDir()
    const first = new SnapshotWriter(dir)
    await first.writeSummary(gym.summary)
    // A face of the gym before its walls were reset: its setup goes with the old snapshot.
    const oldFace = '0f8c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b'
    await first.writeSetup(oldFace, {id: oldFace})
    await first.appendClimbs(gym.climbs)
    await first.finish({gymId: gym.gymId, maxAge: 9999, pages: 3})
    await fs.writeFile(path.join(dir, 'notes.txt'), 'mine')

    const second = new SnapshotWriter(dir)
    await second.writeSummary(gym.summary)
    await second.appendClimbs(gym.climbs.slice(0, 5))
    await second.finish({gymId: gym.gymId, maxAge: 9999, pages: 1})

    expect((await fs.readdir(dir)).sort()).toEqual(['climbs.json', 'manifest.json', 'notes.txt', 'summary.json'])
    expect(await allClimbs(new SnapshotSource(dir), gym.gymId)).toEqual(gym.climbs.slice(0, 5))
  })
})

describe('reading a hand-made snapshot (no manifest)', () => {
  it('reads a pretty-printed climbs.json', async () => {
    const dir = await tempDir()
    await writeHandMadeSnapshot(dir, gym, JSON.stringify(gym.climbs, null, 1))

    const snapshot = new SnapshotSource(dir, {pageSize: 50})

    expect(await snapshot.gymSummary(gym.gymId)).toEqual(gym.summary)
    expect(await snapshot.walls(gym.gymId)).toEqual(gym.walls)
    const pages = await allPages(snapshot, gym.gymId)
    expect(pages.map((page) => [page.page, page.results.length, page.count])).toEqual([
      [1, 50, undefined],
      [2, 20, undefined],
    ])
    expect(pages.flatMap((page) => page.results)).toEqual(gym.climbs)
  })

  it('reads a climbs.json on a single line', async () => {
    const dir = await tempDir()
    await writeHandMadeSnapshot(dir, gym, JSON.stringify(gym.climbs))

    expect(await allClimbs(new SnapshotSource(dir), gym.gymId)).toEqual(gym.climbs)
  })

  it('reads a climbs.json with characters split across its read chunks, and CRLF line ends', async () => {
    // Names dense in multi-byte characters, and the file's 64 KiB read boundary moved into one.
    const climbs = gym.climbs.map((climb, index) => ({...climb, name: `Réglette 🧗 ${index} `.repeat(12)}))
    const body = climbs.map((climb) => JSON.stringify(climb)).join(',\r\n')
    let padding = ''
    const text = () => `[\r\n${padding}${body}\r\n]\r\n`
    const isContinuationByte = (byte: number) => (byte & 0xc0) === 0x80
    while (!isContinuationByte(Buffer.from(text())[64 * 1024])) padding += ' '
    expect(Buffer.byteLength(text())).toBeGreaterThan(64 * 1024)
    const dir = await tempDir()
    await writeHandMadeSnapshot(dir, gym, text())

    expect(await allClimbs(new SnapshotSource(dir), gym.gymId)).toEqual(climbs)
  })

  it('refuses a climbs.json cut short', async () => {
    const dir = await tempDir()
    const lines = gym.climbs.map((climb) => JSON.stringify(climb))
    await writeHandMadeSnapshot(dir, gym, `[\n${lines.slice(0, 10).join(',\n')},\n`)

    const error = await failure(allClimbs(new SnapshotSource(dir), gym.gymId))

    expect(error.message).toMatch(/climbs\.json ends before its closing \]/)
  })
})

describe('SnapshotSource max age', () => {
  it('keeps only the climbs created within maxAge days of now, and those whose date does not parse', async () => {
    const dir = await tempDir()
    const undated = {...gym.climbs[gym.climbs.length - 1], id: 'undated-climb', dateCreated: 'not a date'}
    // Old, in forms validation reads and Date.parse does not: an hours-only offset, a space before it.
    const oldForms = [
      {...gym.climbs[gym.climbs.length - 1], id: 'old-hours-offset', dateCreated: '2024-01-05T10:00:00.123456+03'},
      {...gym.climbs[gym.climbs.length - 1], id: 'old-spaced-offset', dateCreated: '2024-01-05T10:00:00.123456 -05:00'},
    ]
    await writeHandMadeSnapshot(dir, gym, JSON.stringify([...gym.climbs, ...oldForms, undated], null, 2))
    const cutoff = NOW.getTime() - 90 * DAY_MS
    const recent = gym.climbs.filter((climb) => Date.parse(climb.dateCreated as string) >= cutoff)
    expect(recent.length).toBeGreaterThan(0)
    expect(recent.length).toBeLessThan(gym.climbs.length)

    const pages = await allPages(new SnapshotSource(dir, {now: NOW}), gym.gymId, 90)

    expect(pages.flatMap((page) => page.results)).toEqual([...recent, undated])
    expect(pages.every((page) => page.count === undefined)).toBe(true)
  })

  it('refuses to serve more than a snapshot saved with a smaller max age holds', async () => {
    const dir = await tempDir()
    const writer = new SnapshotWriter(dir)
    await writer.writeSummary(gym.summary)
    await writer.appendClimbs(gym.climbs.slice(0, 3))
    await writer.finish({gymId: gym.gymId, maxAge: 30, pages: 1})

    const snapshot = new SnapshotSource(dir)
    expect((await failure(allClimbs(snapshot, gym.gymId, 9999))).message).toMatch(/holds only the climbs created in the 30 days/)
    expect(await allClimbs(snapshot, gym.gymId, 7)).toBeInstanceOf(Array)
  })
})

describe('SnapshotSource errors', () => {
  it('names a face it has no setup for', async () => {
    const dir = await tempDir()
    await writeHandMadeSnapshot(dir, gym, '[]')

    const error = await failure(new SnapshotSource(dir).faceSetup('missing-face'))

    expect(error.message).toContain(`snapshot ${dir} has no setup for face missing-face`)
    expect((await failure(new SnapshotSource(dir).faceSetup('../summary'))).message).toContain('has no setup for face ../summary')
  })

  it('names a missing file or directory', async () => {
    const dir = await tempDir()
    await fs.writeFile(path.join(dir, 'summary.json'), JSON.stringify(gym.summary))

    expect((await failure(new SnapshotSource(dir).walls(gym.gymId))).message).toContain('walls.json')
    expect((await failure(allClimbs(new SnapshotSource(dir), gym.gymId))).message).toContain('climbs.json')
    const nowhere = path.join(dir, 'nowhere')
    expect((await failure(new SnapshotSource(nowhere).gymSummary(gym.gymId))).message).toContain(`no such directory ${nowhere}`)
  })

  it('refuses to serve it as another gym', async () => {
    const dir = await tempDir()
    await writeHandMadeSnapshot(dir, gym, '[]')

    const error = await failure(new SnapshotSource(dir).gymSummary('another-gym'))

    expect(error.message).toBe(`snapshot ${dir} is of gym ${gym.gymId}, not another-gym`)
    expect((await failure(allClimbs(new SnapshotSource(dir), 'another-gym'))).message).toContain('not another-gym')
  })
})

describe('interrupted and partial snapshots', () => {
  it('does not read a save interrupted before finish() as a snapshot', async () => {
    const dir = await tempDir()
    const writer = new SnapshotWriter(dir)
    await writer.writeSummary(gym.summary)
    await writer.writeWalls(gym.walls)
    await writer.appendClimbs(gym.climbs.slice(0, 25))
    // …and the process dies here.

    const snapshot = new SnapshotSource(dir)
    expect((await failure(snapshot.gymSummary(gym.gymId))).message).toMatch(/is incomplete: the run that saved it was interrupted/)
    expect((await failure(allClimbs(snapshot, gym.gymId))).message).toMatch(/interrupted/)
    await expect(fs.access(path.join(dir, 'climbs.json'))).rejects.toThrow()
    await writer.abandon() // the file handle a dead process would not have left open in this one
  })

  it('keeps the snapshot already in the directory, whole, when a save over it is interrupted', async () => {
    const server = await serve()
    const dir = await tempDir()
    const first = new TeeSource(clientFor(server), new SnapshotWriter(dir))
    const saved = await readWholeGym(first, gym.gymId)
    await first.close({runSucceeded: true})
    const manifest = await readManifest(dir)

    const again = new TeeSource(clientFor(server), new SnapshotWriter(dir))
    await again.gymSummary(gym.gymId)
    await again.walls(gym.gymId)
    for await (const page of again.climbPages(gym.gymId, 9999)) {
      if (page.page === 2) break // interrupted while paging
    }
    await again.close()

    expect(await readManifest(dir)).toEqual(manifest)
    expect(await readWholeGym(new SnapshotSource(dir), gym.gymId)).toEqual(saved)
  })

  it('replaces the snapshot in the directory once a save over it finishes, leaving every other file alone, even one named like its own', async () => {
    const server = await serve()
    const dir = await tempDir()
    const first = new TeeSource(clientFor(server), new SnapshotWriter(dir))
    await readWholeGym(first, gym.gymId)
    await first.close({runSucceeded: true})
    // Files of the user's, some named like a snapshot's: none of them is the writer's to replace.
    const foreign = {
      'NOTES.txt': 'saved before the wall was reset\n',
      'setup-instructions.json': '{"steps": []}\n',
      'walls.json.tmp': '[]\n',
    }
    for (const [name, text] of Object.entries(foreign)) await fs.writeFile(path.join(dir, name), text)

    // Saved again without reading the setups: the old setup files go with the old snapshot.
    const again = new TeeSource(clientFor(server), new SnapshotWriter(dir))
    await again.gymSummary(gym.gymId)
    await again.walls(gym.gymId)
    await allClimbs(again, gym.gymId)
    await again.close({runSucceeded: true})

    expect((await fs.readdir(dir)).sort()).toEqual([
      'NOTES.txt',
      'climbs.json',
      'manifest.json',
      'setup-instructions.json',
      'summary.json',
      'walls.json',
      'walls.json.tmp',
    ])
    for (const [name, text] of Object.entries(foreign)) expect(await fs.readFile(path.join(dir, name), 'utf8')).toBe(text)
    expect(await allClimbs(new SnapshotSource(dir), gym.gymId)).toEqual(gym.climbs)
  })

  it('does not finish the snapshot when the climbs were not read to the end', async () => {
    const server = await serve()
    const dir = await tempDir()
    const tee = new TeeSource(clientFor(server), new SnapshotWriter(dir))
    await tee.gymSummary(gym.gymId)
    for await (const page of tee.climbPages(gym.gymId, 9999)) {
      if (page.page === 2) break // the import failed while paging
    }
    await tee.close()

    await expect(fs.access(path.join(dir, 'manifest.json'))).rejects.toThrow()
    expect((await failure(allClimbs(new SnapshotSource(dir), gym.gymId))).message).toMatch(/interrupted/)
  })

  it('does not finish the snapshot of a run that failed, even with all it asked for served', async () => {
    const server = await serve()
    const dir = await tempDir()
    const tee = new TeeSource(clientFor(server), new SnapshotWriter(dir))
    await tee.gymSummary(gym.gymId)
    await tee.walls(gym.gymId)
    const [firstFace] = gym.setups.keys()
    await tee.faceSetup(firstFace) // …and the run failed (or was stopped) before the next face
    await tee.close({runSucceeded: false})

    await expect(fs.access(path.join(dir, 'manifest.json'))).rejects.toThrow()
  })

  it('refuses to finish the snapshot of a run that succeeded without all it asked for served', async () => {
    const server = await serve()
    const dir = await tempDir()
    const tee = new TeeSource(clientFor(server), new SnapshotWriter(dir))
    await tee.gymSummary(gym.gymId)
    for await (const page of tee.climbPages(gym.gymId, 9999)) if (page.page === 2) break

    await expect(tee.close({runSucceeded: true})).rejects.toThrow(
      `cannot write the snapshot in ${dir}: the climbs were not read to the end; the folder keeps what it held before`,
    )
    await expect(fs.access(path.join(dir, 'manifest.json'))).rejects.toThrow()
  })

  it('saves a face Stokt has no setup for as no file, which the snapshot serves as the same 404', async () => {
    const server = await serve()
    const dir = await tempDir()
    const tee = new TeeSource(clientFor(server), new SnapshotWriter(dir))
    const served = await tee.gymSummary(gym.gymId)
    await tee.walls(gym.gymId)
    const liveError = await failure(tee.faceSetup('0d5c4a3e-1111-4222-8333-944455556666'))
    expect(liveError).toBeInstanceOf(StoktError)
    expect((liveError as StoktError).status).toBe(404)
    await allClimbs(tee, gym.gymId)
    await tee.close({runSucceeded: true})

    const snapshot = new SnapshotSource(dir)
    expect(await snapshot.gymSummary(gym.gymId)).toEqual(served)
    const replayed = await failure(snapshot.faceSetup('0d5c4a3e-1111-4222-8333-944455556666'))
    expect(replayed).toBeInstanceOf(StoktError)
    expect((replayed as StoktError).status).toBe(404)
    expect(replayed.message).toContain(`snapshot ${dir} has no setup for face 0d5c4a3e-1111-4222-8333-944455556666`)
  })

  it('finishes a snapshot whose run never read the climbs, and says so', async () => {
    const server = await serve()
    const dir = await tempDir()
    const tee = new TeeSource(clientFor(server), new SnapshotWriter(dir))
    await tee.gymSummary(gym.gymId)
    await tee.walls(gym.gymId)
    for (const faceId of gym.setups.keys()) await tee.faceSetup(faceId)
    await tee.close({runSucceeded: true})

    expect(await readManifest(dir)).toMatchObject({gymId: gym.gymId, maxAge: null, pages: 0, climbs: 0, complete: {climbs: false}})
    const snapshot = new SnapshotSource(dir)
    for (const [faceId, setup] of gym.setups) expect(await snapshot.faceSetup(faceId)).toEqual(setup)
    expect((await failure(allClimbs(snapshot, gym.gymId))).message).toMatch(/holds no climbs: the run that saved it did not read them/)
  })
})
