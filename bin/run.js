#!/usr/bin/env node
import {existsSync} from 'node:fs'

import {execute} from '@oclif/core'

// A clone installed without dev dependencies has no TypeScript to build with: say so, not
// oclif's "command not found" for every command.
if (!existsSync(new URL('../dist/src/commands', import.meta.url))) {
  console.error('Error: mastoc is not built (no dist/): run `npm ci` with dev dependencies, or install the packed tarball (npm pack)')
  process.exit(1)
}

// A library's deprecation notices (pg's for a password read from ~/.pgpass) are for mastoc's
// developers, not for whoever runs it: on stderr they would have cron mail every night.
process.noDeprecation = true

await execute({dir: import.meta.url})
