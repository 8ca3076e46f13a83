import {setTimeout as sleep} from 'node:timers/promises'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {importArgs, startCliOnTerminal, waitFor} from '../support/cli.js'
import {DATABASE_KINDS, testDatabases, unavailable} from '../support/databases.js'
import {generateGym, type GeneratedGym} from '../support/gymGenerator.js'
import {DEFAULT_TOKEN, isClimbsPage, startStoktServer, type RecordedRequest, type StoktServer} from '../support/stoktServer.js'
import {terminalScreen} from '../support/terminalScreen.js'

/**
 * A person at a terminal: the CLI runs on a pseudo-terminal, draws its progress bars there, and
 * what the terminal ends up showing is read back, escape sequences applied.
 */

const GYM_SPEC = {seed: 47, faces: 2, holdsPerFace: 30, climbs: 80, setters: 6}
const PAGE_SIZE = 10
/** Per Stokt request: slow enough that Ctrl-C lands in the middle of the climbs. */
const LATENCY_MS = 20

describe.each(DATABASE_KINDS)('on a terminal, on %s', (kind) => {
  const skip = unavailable(kind)
  let gym: GeneratedGym
  let server: StoktServer
  let onRequest: ((request: RecordedRequest) => void) | undefined
  /** Holds back Stokt's answer until it resolves. */
  let beforeAnswer: ((request: RecordedRequest) => Promise<void>) | undefined
  const databases = testDatabases(kind)

  beforeAll(async () => {
    if (skip) return
    gym = generateGym(GYM_SPEC)
    server = await startStoktServer({
      gym,
      pageSize: PAGE_SIZE,
      intercept: async (request) => {
        onRequest?.(request)
        await beforeAnswer?.(request)
        await sleep(LATENCY_MS)
        return false
      },
    })
  })
  afterAll(async () => {
    await server?.close()
    await databases.dropAll()
  })

  it.skipIf(skip)('Ctrl-C: the warning shows above the bars and stays there, then the run stops (exit 130)', async () => {
    const database = await databases.fresh()
    const terminal = startCliOnTerminal(importArgs(server, gym, database, ['--batch-size', '10', '--concurrency', '1']), {
      STOKT_TOKEN: DEFAULT_TOKEN,
    })
    onRequest = (request) => {
      if (isClimbsPage(request, gym, 3)) terminal.type('\x03')
    }
    try {
      const {code, output} = await terminal.result
      expect(code, output).toBe(130)
      const screen = terminalScreen(output).filter((line) => line !== '' && line !== '^C')
      const warning = screen.indexOf('warning: SIGINT: stopping once the current batch is written or rolled back (again to quit now)')
      expect(warning, screen.join('\n')).toBeGreaterThan(-1)
      // Below it, the four bars, each once, and the error.
      const bars = screen.slice(warning + 1, -1).map((line) => /^ ?(\w+) +\|/.exec(line)?.[1] ?? line)
      expect(bars, screen.join('\n')).toEqual(['faces', 'holds', 'users', 'climbs'])
      expect(screen.at(-1)).toBe('Error: interrupted by SIGINT: whole batches already written are kept; run the import again to finish')
      // The phase lines above it stay too.
      expect(screen.slice(0, warning), screen.join('\n')).toContain(`Reading gym ${gym.gymId} from Stokt at ${server.url}`)
    } finally {
      onRequest = undefined
      terminal.type('\x03\x03')
      await waitFor('the terminal to close', () => terminal.exited() || undefined).catch(() => {})
    }
  })

  it.skipIf(skip)('on a narrow terminal, a warning shown above the bars keeps its end, on lines that fit, as do the bars', async () => {
    const database = await databases.fresh()
    let refused = false
    beforeAnswer = async (request) => {
      if (refused || !isClimbsPage(request, gym, 5)) return
      refused = true
      throw new Error('busy') // the test server answers 500 for it: Stokt failing once
    }
    // Small batches read few pages ahead: page 5 is asked for while the bars are drawn.
    const args = importArgs(server, gym, database, ['--concurrency', '1', '--batch-size', '10'])
    const terminal = startCliOnTerminal(args, {STOKT_TOKEN: DEFAULT_TOKEN}, {columns: 60})
    try {
      const {code, output} = await terminal.result
      expect(code, output).toBe(0)
      const screen = terminalScreen(output)
      const shown = screen.join('\n')
      const warning = screen.findIndex((line) => line.startsWith('warning: '))
      expect(warning, shown).toBeGreaterThan(-1)
      const warningLines = screen.slice(
        warning,
        screen.findIndex((line, at) => at > warning && !line.startsWith('  ')),
      )
      for (const line of warningLines) expect([...line].length, shown).toBeLessThanOrEqual(60)
      expect(warningLines.map((line) => line.trim()).join(' '), shown).toMatch(/climbs page 5: HTTP 500; retrying in \d+\.\d s$/)
      const bars = screen.filter((line) => /^ ?\w+ +\|/.test(line))
      expect(bars.length, shown).toBeGreaterThan(0)
      for (const bar of bars) expect([...bar].length, shown).toBeLessThanOrEqual(60)
    } finally {
      beforeAnswer = undefined
    }
  })

  it.skipIf(skip)("draws the climbs bar at x/N from its first frame, N Stokt's count, with a rate and the time left", async () => {
    const database = await databases.fresh()
    const climbsBars = (raw: string) => [...raw.matchAll(/climbs +\|[^\r\n\x1b]*/g)]
    const onItsWay = new RegExp(`\\d+/${gym.climbs.length} \\d+(\\.\\d)?/s ETA \\d+s$`)
    const terminal = startCliOnTerminal(importArgs(server, gym, database, ['--batch-size', '10', '--concurrency', '1']), {
      STOKT_TOKEN: DEFAULT_TOKEN,
      LANG: 'C.UTF-8',
    })
    // Page 5 is answered once the bar has shown a rate and the time left, halfway through.
    beforeAnswer = async (request) => {
      if (!isClimbsPage(request, gym, 5)) return
      await waitFor(
        'the climbs bar to show a rate and an ETA',
        () => climbsBars(terminal.output()).some(([bar]) => onItsWay.test(bar)) || undefined,
      )
    }
    const {code, output} = await terminal.result.finally(() => (beforeAnswer = undefined))
    expect(code, output).toBe(0)
    // Each drawing of the climbs bar, in order; the first one as the screen showed it then.
    const drawings = climbsBars(output)
    expect(drawings.length, output).toBeGreaterThan(1)
    const firstFrame = terminalScreen(output.slice(0, drawings[0].index + drawings[0][0].length))
    const firstBar = firstFrame.find((line) => /^ ?climbs +\|/.test(line))
    expect(firstBar, firstFrame.join('\n')).toMatch(new RegExp(`\\| \\d+/${gym.climbs.length}\\b`))
    for (const [drawing] of drawings) expect(drawing).toMatch(new RegExp(`\\| \\d+/${gym.climbs.length}\\b`))
    // On its way, a rate and the time left; at the end, every climb, the rate and how long it took.
    expect(
      drawings.filter(([drawing]) => onItsWay.test(drawing)),
      output,
    ).not.toEqual([])
    const finalBar = terminalScreen(output).find((line) => /^ ?climbs +\|/.test(line))
    expect(finalBar).toMatch(new RegExp(`\\| ${gym.climbs.length}/${gym.climbs.length} \\d+(\\.\\d)?/s in \\d+s$`))
  })
})

describe('on a terminal whose locale is not UTF-8', () => {
  let gym: GeneratedGym
  let server: StoktServer
  const databases = testDatabases('sqlite')

  beforeAll(async () => {
    gym = generateGym({...GYM_SPEC, climbs: 30})
    server = await startStoktServer({gym, pageSize: PAGE_SIZE})
  })
  afterAll(async () => {
    await server?.close()
    await databases.dropAll()
  })

  const barsOn = async (locale: Record<string, string>) => {
    const database = await databases.fresh()
    const terminal = startCliOnTerminal(importArgs(server, gym, database, []), {STOKT_TOKEN: DEFAULT_TOKEN, ...locale})
    const {code, output} = await terminal.result
    expect(code, output).toBe(0)
    return {output, bars: terminalScreen(output).filter((line) => /^ ?\w+ +\|/.test(line))}
  }

  // A Latin-1 (or C) terminal shows each byte of '█' as a character: a bar was 137 columns wide,
  // wrapped, and every redraw left copies on the screen.
  it.each([
    ['LANG=fr_FR.ISO-8859-1', {LANG: 'fr_FR.ISO-8859-1'}],
    ['LANG=C', {LANG: 'C'}],
    ['LC_ALL=POSIX over LANG=fr_FR.UTF-8', {LC_ALL: 'POSIX', LANG: 'fr_FR.UTF-8'}],
  ])('draws ASCII bars that fit 80 columns (%s)', async (_, locale) => {
    const {output, bars} = await barsOn(locale)
    expect(bars.length, output).toBeGreaterThan(0)
    expect(output).toMatch(/^[\x00-\x7f]*$/)
    for (const bar of bars) {
      expect(bar).toMatch(/\|[=-]+\|/)
      expect(bar.length).toBeLessThanOrEqual(80)
    }
  })

  it('keeps its block bars where the locale is UTF-8', async () => {
    const {output, bars} = await barsOn({LANG: 'fr_FR.UTF-8'})
    expect(bars.length, output).toBeGreaterThan(0)
    for (const bar of bars) expect(bar).toMatch(/\|█+\|/)
  })
})
