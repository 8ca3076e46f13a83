// Given to a child with `node --import`: as it exits, it prints on stderr, in one last line, the npm
// packages it loaded through require() (pg, knex and better-sqlite3 are CommonJS).
import {createRequire} from 'node:module'

const require = createRequire(import.meta.url)

process.on('exit', () => {
  const packages = new Set()
  for (const file of Object.keys(require.cache)) {
    const found = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)
    if (found) packages.add(found[1])
  }
  process.stderr.write(`loaded packages: ${[...packages].sort().join(' ')}\n`)
})
