import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

/**
 * The CLI tests run the real `bin/run.js`, which loads the compiled commands and describes them
 * from oclif.manifest.json: build both once, as `npm run build` does.
 */
export default function setup(): void {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], {stdio: 'inherit'})
  execFileSync(process.execPath, [fileURLToPath(new URL('../../scripts/writeManifest.js', import.meta.url))], {stdio: 'inherit'})
}
