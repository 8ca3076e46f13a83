import {parseArgs} from 'node:util'

/** One gym size the bench can run, and how much of the matrix it gets (see PLAN in run.ts). */
export interface SizePreset {
  label: string
  faces: number
  holdsPerFace: number
  climbs: number
  setters: number
  /** Too big for repeated runs in the time budget: one run, live batch imports only. */
  large: boolean
  /** The gym of the batch-size curve, the row-by-row single run and most goals. */
  reference: boolean
}

export const SIZE_PRESETS: readonly SizePreset[] = [
  {label: '1k', faces: 1, holdsPerFace: 800, climbs: 1_000, setters: 24, large: false, reference: false},
  {label: '20k', faces: 10, holdsPerFace: 800, climbs: 20_000, setters: 80, large: false, reference: true},
  {label: '100k', faces: 50, holdsPerFace: 800, climbs: 100_000, setters: 200, large: true, reference: false},
]

export interface BenchOptions {
  sizes: SizePreset[]
  /** Runs of each measurement on the sizes that are not `large` (those get one). */
  runs: number
  outDir: string
  quick: boolean
}

export const USAGE = `npm run bench -- [--quick] [--sizes 1k,20k,100k] [--runs N] [--out DIR]

  --quick        1k and 20k only, 1 run each (for trying it; ~2 minutes)
  --sizes LIST   gym sizes among ${SIZE_PRESETS.map((size) => size.label).join(', ')} (default: all; only a run of all
                 of them, not --quick, rewrites docs/performance.md)
  --runs N       runs per measurement on 1k and 20k, medians reported (default 3); 100k always runs once
  --out DIR      where results.json and results.md go (default bench-results/)`

export function parseBenchOptions(argv: string[]): BenchOptions | 'help' {
  const {values} = parseArgs({
    args: argv,
    options: {
      quick: {type: 'boolean', default: false},
      sizes: {type: 'string'},
      runs: {type: 'string'},
      out: {type: 'string', default: 'bench-results'},
      help: {type: 'boolean', short: 'h', default: false},
    },
    strict: true,
  })
  if (values.help) return 'help'

  const sizeLabels = (values.sizes ?? (values.quick ? '1k,20k' : SIZE_PRESETS.map((size) => size.label).join(',')))
    .split(',')
    .map((label) => label.trim().toLowerCase())
    .filter((label) => label !== '')
  const sizes = SIZE_PRESETS.filter((size) => sizeLabels.includes(size.label))
  const unknown = sizeLabels.filter((label) => !SIZE_PRESETS.some((size) => size.label === label))
  if (unknown.length > 0 || sizes.length === 0) {
    throw new Error(`--sizes: expected some of ${SIZE_PRESETS.map((size) => size.label).join(',')}, got "${values.sizes}"`)
  }

  const runs = values.runs === undefined ? (values.quick ? 1 : 3) : Number(values.runs)
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a whole number >= 1, got "${values.runs}"`)

  return {sizes, runs, outDir: values.out, quick: values.quick}
}
