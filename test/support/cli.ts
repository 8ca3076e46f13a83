import {spawn} from 'node:child_process'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

import {expect} from 'vitest'

import type {TestDatabase} from './databases.js'
import type {GeneratedGym} from './gymGenerator.js'
import type {StoktServer} from './stoktServer.js'

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** A CLI child process still running, or done: its result, and a handle to signal it. */
export interface ChildHandle {
  pid: number
  result: Promise<CliResult>
  /** Sends `signal`, unless the child has already exited. */
  kill(signal: NodeJS.Signals): void
  /** What it has written to stderr so far. */
  stderr(): string
  exited(): boolean
}

/**
 * Starts the real CLI in a child process, as cron would: no terminal, a clean environment plus
 * `env`. Asynchronous, so a Stokt test server in this process keeps answering.
 */
export function startCli(args: string[], env: Record<string, string | undefined> = {}, options: {cwd?: string} = {}): ChildHandle {
  const childEnv: Record<string, string> = {PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp'}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) childEnv[key] = value
  const child = spawn(process.execPath, [BIN, ...args], {env: childEnv, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  let exited = false
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const result = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      exited = true
      resolve({code, signal, stdout, stderr})
    })
  })
  return {
    pid: child.pid!,
    result,
    kill: (signal) => {
      if (!exited) child.kill(signal)
    },
    stderr: () => stderr,
    exited: () => exited,
  }
}

/** Runs the real CLI in a child process, as startCli starts it, to the end. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, options: {cwd?: string} = {}): Promise<CliResult> {
  return startCli(args, env, options).result
}

/** The arguments of `mastoc import all` for `gym`, served by `server`, into `database`, then `flags`. */
export function importArgs(server: StoktServer, gym: GeneratedGym, database: TestDatabase, flags: string[]): string[] {
  return ['import', 'all', '--database', database.url, '--gym', gym.gymId, '--stokt-url', server.url, ...flags]
}

/** Polls `probe` until it returns a value; fails if the child exits first or it takes far too long. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  child?: ChildHandle,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    // A probe that fails (the schema not there yet) is asked again.
    const value = await Promise.resolve()
      .then(probe)
      .catch(() => undefined)
    if (value !== undefined) return value
    if (child?.exited()) throw new Error(`the import exited while waiting for ${what}:\n${child.stderr()}`)
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await sleep(5)
  }
}

/** The CLI run on a pseudo-terminal, as a person runs it: stdout and stderr are one screen. */
export interface TerminalHandle {
  result: Promise<{code: number | null; output: string}>
  /** What the terminal has shown so far, raw (escape sequences included). */
  output(): string
  /** Types on the terminal's keyboard: '\x03' is Ctrl-C, which the terminal turns into SIGINT. */
  type(text: string): void
  exited(): boolean
}

/**
 * Starts the real CLI under util-linux's `script`, which gives it a pseudo-terminal for stdin,
 * stdout and stderr (so it draws progress bars) and passes through its exit code.
 */
export function startCliOnTerminal(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: {columns?: number} = {},
): TerminalHandle {
  const childEnv: Record<string, string> = {PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TERM: 'xterm'}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) childEnv[key] = value
  // The terminal's size, as a window of that many columns gives it.
  const size = options.columns === undefined ? '' : `stty cols ${options.columns} rows 40; `
  const command = size + [process.execPath, BIN, ...args].map(shellQuote).join(' ')
  const child = spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], {
    env: childEnv,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let output = ''
  let exited = false
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const result = new Promise<{code: number | null; output: string}>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      exited = true
      resolve({code, output})
    })
  })
  return {
    result,
    output: () => output,
    type: (text) => {
      if (!exited) child.stdin.write(text)
    },
    exited: () => exited,
  }
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`
}

/**
 * A failure with --json: stdout holds the JSON error object and nothing else, with the exit code
 * and the message of the one line on stderr.
 */
export function expectJsonError(result: CliResult): void {
  const parsed = JSON.parse(result.stdout) as {error: {message: string; exitCode: number}}
  expect(Object.keys(parsed)).toEqual(['error'])
  expect(parsed.error.exitCode).toBe(result.code)
  expect(result.stderr).toContain(`Error: ${parsed.error.message}\n`)
}
