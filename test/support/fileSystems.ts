import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/**
 * Folders that are really full or really read-only, for the tests that need one: as root, a small
 * tmpfs (root writes through any file mode, so chmod proves nothing). Where mounting is not
 * allowed (not root, a container without CAP_SYS_ADMIN) those tests are skipped.
 */
export const CAN_MOUNT = canMount()

export interface MountedFolder {
  path: string
  /** Makes the folder read-only from now on (remounted `ro`). */
  makeReadOnly(): void
  dispose(): void
}

/** An empty tmpfs of `sizeKiB`, mounted on a fresh folder. */
export function mountTmpfs(sizeKiB: number): MountedFolder {
  const path = mkdtempSync(join(tmpdir(), 'mastoc-tmpfs-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k`, 'tmpfs', path])
  return {
    path,
    makeReadOnly: () => execFileSync('mount', ['-o', 'remount,ro', path]),
    dispose() {
      execFileSync('umount', [path])
      rmSync(path, {recursive: true, force: true})
    },
  }
}

function canMount(): boolean {
  if (process.getuid?.() !== 0) return false
  try {
    mountTmpfs(4).dispose()
    return true
  } catch {
    return false
  }
}
