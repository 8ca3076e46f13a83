import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url))

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/**
 * Runs the real CLI in a child process, as cron would: no terminal, a clean environment plus `env`.
 * Asynchronous, so a Stokt test server in this process keeps answering.
 */
export function runCli(args: string[], env: Record<string, string | undefined> = {}, options: {cwd?: string} = {}): Promise<CliResult> {
  const childEnv: Record<string, string> = {PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp'}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) childEnv[key] = value
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: childEnv, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({code, signal, stdout, stderr}))
  })
}
