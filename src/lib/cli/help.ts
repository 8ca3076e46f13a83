import {Help, type Config, type Interfaces} from '@oclif/core'

/** oclif's help, flags in src/flags.ts's order, not alphabetical: `mastoc help …` reads only the help class, no options. */
export default class MastocHelp extends Help {
  constructor(config: Config, options: Partial<Interfaces.HelpOptions> = {}) {
    super(config, {flagSortOrder: 'none', ...options})
  }
}
