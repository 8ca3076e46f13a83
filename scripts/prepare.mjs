// `npm ci` from a clone builds dist/; `npm ci --omit=dev` (no TypeScript) must not fail on it.
import {execFileSync} from 'node:child_process'
import {createRequire} from 'node:module'

// `npm pack` and `npm publish` run prepack (a clean build) just before this: once is enough.
if (process.env.npm_command === 'pack' || process.env.npm_command === 'publish') process.exit(0)

let tsc
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
} catch {
  console.warn('mastoc: dev dependencies not installed, dist/ not built: `npm ci` (with them) builds it, or install the packed tarball')
  process.exit(0)
}
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {stdio: 'inherit'})
execFileSync(process.execPath, [new URL('writeManifest.js', import.meta.url).pathname], {stdio: 'inherit'})
