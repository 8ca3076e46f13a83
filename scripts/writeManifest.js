#!/usr/bin/env node
/**
 * Writes oclif.manifest.json from the built commands (dist/), as `oclif manifest` would: with it,
 * the CLI lists and describes its commands without importing them, so `--version` and `--help`
 * load none of the libraries the commands use. Run by `npm run build`.
 */
import {writeFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

import {Plugin} from '@oclif/core'

const root = fileURLToPath(new URL('..', import.meta.url))
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true})
await plugin.load()
await writeFile(new URL('oclif.manifest.json', `file://${root}/`), `${JSON.stringify(plugin.manifest, null, 2)}\n`)
