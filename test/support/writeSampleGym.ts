/**
 * Writes the sample gym the project ships (test/fixtures/sample-gym): a generated gym shaped like
 * a real Stokt one, saved as a snapshot so `mastoc import all --from-snapshot` runs offline.
 * Regenerate with `npm run fixtures`; the output is deterministic.
 */
import {rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {SnapshotManifest} from '../../src/lib/stokt/snapshot/manifest.js'
import {SnapshotWriter} from '../../src/lib/stokt/snapshot/writer.js'
import {ALL_CLIMBS_MAX_AGE} from '../../src/lib/stokt/source.js'
import {generateGym, type GeneratedGym} from './gymGenerator.js'

export const SAMPLE_GYM_DIR = fileURLToPath(new URL('../fixtures/sample-gym', import.meta.url))
export const SAMPLE_GYM_SPEC = {seed: 2026, faces: 3, holdsPerFace: 150, climbs: 400, setters: 24}
/** Climbs per page in the sample, as Stokt pages them. */
const PAGE_SIZE = 30

export async function writeSampleGym(dir = SAMPLE_GYM_DIR): Promise<void> {
  const gym = generateGym(SAMPLE_GYM_SPEC)
  await rm(dir, {recursive: true, force: true})
  const manifest = await writeGymSnapshot(gym, dir, PAGE_SIZE)
  // A fixed date keeps the committed fixture byte-identical from one regeneration to the next.
  await writeFile(join(dir, 'manifest.json'), `${JSON.stringify({...manifest, savedAt: '2026-11-01T12:00:00.000Z'}, null, 1)}\n`)
}

/**
 * Writes `gym` as a snapshot of all its climbs into `dir`, as `--save-snapshot` would, the climbs in
 * pages of `pageSize`; returns the manifest written.
 */
export async function writeGymSnapshot(gym: GeneratedGym, dir: string, pageSize: number): Promise<SnapshotManifest> {
  const writer = new SnapshotWriter(dir)
  await writer.writeSummary(gym.summary)
  await writer.writeWalls(gym.walls)
  for (const [faceId, setup] of gym.setups) await writer.writeSetup(faceId, setup)
  let pages = 0
  for (let start = 0; start < gym.climbs.length; start += pageSize) {
    await writer.appendClimbs(gym.climbs.slice(start, start + pageSize))
    pages += 1
  }
  return writer.finish({gymId: gym.gymId, maxAge: ALL_CLIMBS_MAX_AGE, pages})
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeSampleGym()
  console.log(`wrote ${SAMPLE_GYM_DIR}`)
}
