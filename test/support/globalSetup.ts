import {execFileSync} from 'node:child_process'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'

/**
 * The CLI tests run the real `bin/run.js`, which loads the compiled commands and describes them
 * from oclif.manifest.json: build both once, as `npm run build` does.
 */
export default function setup(): void {
  // Incremental (tsconfig.build.json): after `npm ci`, which built dist/, this only checks it.
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {stdio: 'inherit'})
  execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/writeManifest.js', import.meta.url))], {stdio: 'inherit'})
}
