import {Help, type Config, type Interfaces} from '@oclif/core'

/**
 * oclif's help, with flags in the order src/flags.ts gives them (Stokt, database, output,
 * behaviour, each in the order one looks for them) rather than alphabetical: `mastoc help …`
 * (@oclif/plugin-help) reads no help options of the package, only its help class.
 */
export default class MastocHelp extends Help {
  constructor(config: Config, options: Partial<Interfaces.HelpOptions> = {}) {
    super(config, {flagSortOrder: 'none', ...options})
  }
}
