#!/usr/bin/env node
import {execute} from '@oclif/core'

// A library's deprecation notices (pg's for a password read from ~/.pgpass) are for mastoc's
// developers, not for whoever runs it: on stderr they would have cron mail every night.
process.noDeprecation = true

await execute({dir: import.meta.url})
