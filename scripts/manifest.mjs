// oclif.manifest.json for the packed tarball, as `oclif manifest` writes it: the installed CLI
// then reads each command's flags and help from it instead of loading every command to start.
import {writeFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {Plugin} from '@oclif/core'

const root = fileURLToPath(new URL('..', import.meta.url))
const plugin = new Plugin({root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true})
await plugin.load()
writeFileSync(new URL('oclif.manifest.json', new URL('..', import.meta.url)), JSON.stringify(plugin.manifest, null, 2))
console.log(`oclif.manifest.json: ${Object.keys(plugin.manifest.commands).length} commands`)
