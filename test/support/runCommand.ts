import {Console} from 'node:console'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {flush, run} from '@oclif/core'
import {Exit, handle} from '@oclif/core/handle'

import type {SecretMasker} from '../../src/lib/common/secrets.js'
import {BIN, type CliResult} from './cli.js'

/**
 * The compiled CLI's own masker: oclif loads the commands from dist/, and vitest.config.ts leaves
 * dist/ to Node, so this is the module instance the commands register their secrets with.
 */
const DIST_SECRETS = fileURLToPath(new URL('../../dist/src/lib/common/secrets.js', import.meta.url))
const {secrets} = (await import(pathToFileURL(DIST_SECRETS).href)) as {secrets: SecretMasker}

/** The run in progress: one command has the process at a time. */
let running: Promise<unknown> = Promise.resolve()

/**
 * Runs the CLI in this process, as `bin/run.js` would in a child of its own (`runCli`): the same
 * compiled commands and oclif error handling, a clean environment plus `env`, no terminal, and
 * stdout, stderr and the exit code captured — without a Node start-up for each run. What a
 * command leaves in the process (the secrets it masks, output wrappers, listeners, the exit code)
 * is undone afterwards, so each run starts as a new process would.
 *
 * Not for what only a process has: signals, its pid, its exit (`--log-file`'s last line is
 * written as the process would write it), a working directory, settings read once at start-up
 * (MASTOC_TEST_*), or two runs at once: those use `runCli` / `startCli`. A run asked for while
 * another is under way (concurrent tests) waits for it to end.
 */
export async function runCommand(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const startupSettings = Object.keys(env).filter((key) => key.startsWith('MASTOC_TEST_'))
  if (startupSettings.length > 0) throw new Error(`${startupSettings.join(', ')} is read once per process: use runCli`)
  const run = running.then(() => runAlone(args, env))
  running = run.catch(() => undefined)
  return run
}

async function runAlone(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  const output = {stdout: '', stderr: ''}
  const restore = takeOverProcess(args, env, output)
  let exitCode: number | undefined
  const exit = Exit.exit
  // Recorded, not exited: handle() has nothing left to do after it (bar the SIGINT error of a signal).
  Exit.exit = ((code = 0) => {
    exitCode ??= code
  }) as typeof Exit.exit
  try {
    secrets.clear()
    // As @oclif/core's execute(), which bin/run.js calls, with Exit.exit (process.exit) recorded.
    await run(args, pathToFileURL(BIN).href)
      .then(async () => {
        await flush()
      })
      .catch(async (error: Error) => handle(error))
    const code = exitCode ?? Number(process.exitCode ?? 0)
    restore.exit(code)
    return {code, signal: null, ...output}
  } finally {
    Exit.exit = exit
    secrets.clear()
    restore.all()
  }
}

type Writer = typeof process.stdout.write

/** The process as a new `node bin/run.js` would find it; returns how to put it back. */
function takeOverProcess(args: string[], env: Record<string, string | undefined>, output: {stdout: string; stderr: string}) {
  const saved = {
    env: {...process.env},
    argv: process.argv,
    exitCode: process.exitCode,
    noDeprecation: process.noDeprecation,
    console: globalThis.console,
    stdoutWrite: process.stdout.write,
    stderrWrite: process.stderr.write,
    listeners: listenerSnapshot(),
  }
  const ttyProperties: [NodeJS.ReadStream | NodeJS.WriteStream, string, PropertyDescriptor | undefined][] = []
  for (const stream of [process.stdin, process.stdout, process.stderr]) {
    for (const property of ['isTTY', 'columns', 'rows']) {
      ttyProperties.push([stream, property, Object.getOwnPropertyDescriptor(stream, property)])
      // Pipes and /dev/null, as the child has: no terminal.
      Object.defineProperty(stream, property, {value: undefined, configurable: true, writable: true})
    }
  }

  replaceEnv({PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env})
  process.argv = [process.execPath, BIN, ...args]
  process.exitCode = undefined
  process.noDeprecation = true // as bin/run.js sets it
  process.stdout.write = capture((text) => (output.stdout += text))
  process.stderr.write = capture((text) => (output.stderr += text))
  // oclif prints through console; vitest's own would take it away from stdout and stderr.
  globalThis.console = new Console({stdout: process.stdout, stderr: process.stderr})

  return {
    /** What the process does as it exits: the 'exit' listeners the run added are called with its code. */
    exit(code: number) {
      for (const listener of added(saved.listeners.exit, process.rawListeners('exit') as Listener[])) listener(code)
    },
    all() {
      for (const [event, before] of Object.entries(saved.listeners) as [keyof ListenerSnapshot, Listener[]][]) {
        const [emitter, name]: [NodeJS.EventEmitter, string] = LISTENED[event]
        for (const listener of added(before, emitter.rawListeners(name) as Listener[])) emitter.removeListener(name, listener)
      }
      globalThis.console = saved.console
      process.stdout.write = saved.stdoutWrite
      process.stderr.write = saved.stderrWrite
      for (const [stream, property, descriptor] of ttyProperties) {
        if (descriptor) Object.defineProperty(stream, property, descriptor)
        else delete (stream as unknown as Record<string, unknown>)[property]
      }
      process.noDeprecation = saved.noDeprecation
      process.exitCode = saved.exitCode
      process.argv = saved.argv
      replaceEnv(saved.env)
    },
  }
}

/** The events a command listens to on the process and its streams. */
const LISTENED = {
  exit: [process, 'exit'],
  SIGINT: [process, 'SIGINT'],
  SIGTERM: [process, 'SIGTERM'],
  SIGHUP: [process, 'SIGHUP'],
  stdoutError: [process.stdout, 'error'],
  stderrError: [process.stderr, 'error'],
  // oclif's flush() waits for a 'drain' that an exiting process never needs.
  stdoutDrain: [process.stdout, 'drain'],
  stderrDrain: [process.stderr, 'drain'],
} as const satisfies Record<string, [NodeJS.EventEmitter, string]>

type Listener = (...args: any[]) => void
type ListenerSnapshot = Record<keyof typeof LISTENED, Listener[]>

function listenerSnapshot(): ListenerSnapshot {
  return Object.fromEntries(
    Object.entries(LISTENED).map(([event, [emitter, name]]) => [event, (emitter as NodeJS.EventEmitter).rawListeners(name)]),
  ) as ListenerSnapshot
}

function added(before: Listener[], now: Listener[]): Listener[] {
  return now.filter((listener) => !before.includes(listener))
}

/** In place, so that what reads the environment natively sees it too. */
function replaceEnv(env: Record<string, string | undefined>): void {
  for (const key of Object.keys(process.env)) delete process.env[key]
  for (const [key, value] of Object.entries(env)) if (value !== undefined) process.env[key] = value
}

/** A stream's write that keeps the text, as the child's pipe (read as UTF-8) would deliver it. */
function capture(keep: (text: string) => void): Writer {
  return ((
    chunk: string | Uint8Array,
    encoding?: BufferEncoding | ((error?: Error | null) => void),
    callback?: (error?: Error | null) => void,
  ) => {
    keep(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
    const done = typeof encoding === 'function' ? encoding : callback
    if (done) process.nextTick(done)
    return true
  }) as Writer
}
